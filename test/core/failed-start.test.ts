import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'

const EXIT_WITHIN_MS = 20_000

/** Runs the child to its end; `hung` when it was still running EXIT_WITHIN_MS after it printed its result. */
function runChild(): Promise<{ code: number | null; out: string; hung: boolean }> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
  const child = spawn(process.execPath, ['--import', tsx, join(import.meta.dirname, 'failed-start-child.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  let hung = false
  let timer: NodeJS.Timeout | undefined
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString()
    // From its result on, nothing should keep the child alive: the core's workers, pools and timers are gone.
    timer ??= setTimeout(() => {
      hung = true
      child.kill('SIGKILL')
    }, EXIT_WITHIN_MS)
  })
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out, hung })
    }),
  )
}

describe('core start-up', () => {
  it('a failing start-up step rethrows its error and stops everything already started, so the process can exit', async () => {
    const r = await runChild()
    expect(r.out.trim()).toBe('failed: injected start-up failure')
    expect(r.hung, 'the process stayed alive: a worker, pool or timer of the failed core is still running').toBe(false)
    expect(r.code).toBe(0)
  }, 90_000)
})
