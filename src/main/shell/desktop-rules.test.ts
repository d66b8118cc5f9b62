import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { desktopPrefs, hidesOnClose, OnceFlag, quitConfirmation, runningModels, startsHidden } from './desktop-rules'
import type { TrayInput } from './tray-menu'
import { deployment, gatewayModel, gatewayStatus } from './test-core'

const base: TrayInput = { gpus: null, deployments: [], gateway: gatewayStatus(), webui: null, jobs: [], dockerError: null }

describe('desktop preferences', () => {
  it('reads autostart and start-minimised as on only when they are true', () => {
    expect(desktopPrefs({ autostart: true, startMinimised: true })).toEqual({ autostart: true, startMinimised: true })
    expect(desktopPrefs({ autostart: 'yes' })).toEqual({ autostart: false, startMinimised: false })
    expect(desktopPrefs(undefined)).toEqual({ autostart: false, startMinimised: false })
  })

  it('starts with the tray only with --hidden or when start minimised is on', () => {
    const off = { autostart: false, startMinimised: false }
    expect(startsHidden(['inferadmin', '--hidden'], off)).toBe(true)
    expect(startsHidden(['inferadmin'], { ...off, startMinimised: true })).toBe(true)
    expect(startsHidden(['inferadmin'], off)).toBe(false)
  })

  it('hides on close only while the tray exists and the app is not quitting', () => {
    expect(hidesOnClose({ quitting: false, trayAlive: true })).toBe(true)
    expect(hidesOnClose({ quitting: true, trayAlive: true })).toBe(false)
    expect(hidesOnClose({ quitting: false, trayAlive: false })).toBe(false)
  })
})

describe('quit confirmation', () => {
  it('is not asked when no model is loaded or loading', () => {
    expect(quitConfirmation({ ...base, deployments: [deployment('d1', 'Qwen3-8B', 'stopped')] })).toBeNull()
  })

  it('names the loaded and loading models, says they keep running and are taken over at the next start', () => {
    const input: TrayInput = {
      ...base,
      deployments: [deployment('d1', 'Qwen3-8B', 'ready'), deployment('d2', 'Llama', 'stopped'), deployment('d3', 'Mistral', 'loading')],
      gateway: gatewayStatus([gatewayModel('d2', 'llama', 'cold')]),
    }
    expect(runningModels(input)).toEqual(['Qwen3-8B', 'Mistral'])
    const q = quitConfirmation(input)
    expect(q).toMatchObject({ message: 'Quit InferAdmin? 2 models are loaded.', buttons: ['Quit', 'Cancel'], cancelId: 1 })
    expect(q?.detail).toMatch(/^Qwen3-8B, Mistral keep running in Docker after you quit/)
    expect(q?.detail).toContain('takes them over again the next time it starts')
  })

  it('shortens a long list', () => {
    const deployments = ['a', 'b', 'c', 'd', 'e'].map((n) => deployment(n, n, 'ready'))
    expect(quitConfirmation({ ...base, deployments })?.detail).toMatch(/^a, b, c and 2 more keep running/)
  })
})

describe('once flag', () => {
  it('is unset until set, and stays set for the next start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inferadmin-flag-'))
    const file = join(dir, 'electron/notice')
    expect(await new OnceFlag(file).isSet()).toBe(false)
    await new OnceFlag(file).set()
    expect(await new OnceFlag(file).isSet()).toBe(true)
    expect(() => new OnceFlag('relative')).toThrow(/absolute/)
    await rm(dir, { recursive: true, force: true })
  })
})
