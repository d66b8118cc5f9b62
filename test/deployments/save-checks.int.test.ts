import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { DeploymentSpecInput } from '../../src/shared/contract/deployments'
import { seedModel } from '../sim/seed.js'
import { makeHome, serve, type Server } from './support'

// Save-time checks a person meets in the deployment dialog, against the real headless server (#14 point 8): a host
// port that something holds is refused when the definition is saved — naming the holder — not later at Start.
let env: Record<string, string>
let home: string
let server: Server
let model: string
let holder: ChildProcess | undefined

const spec = (name: string, hostPort: number): DeploymentSpecInput => ({
  name,
  model: { repo: model, revision: 'main' },
  image: `${env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
  gpus: [],
  args: {},
  hostPort,
})
type Refusal = { code: string; message: string; data?: { fix?: string; fields?: Record<string, string> } }

beforeAll(async () => {
  env = inject('simEnv')
  if (!env) throw new Error('no simEnv: run this file in the vitest "sim" project')
  home = mkdtempSync(join(tmpdir(), 'inferadmin-save-'))
  makeHome(home)
  model = (await seedModel(join(home, 'models'), { kind: 'chat' })).repo
  server = await serve(home, { DOCKER_HOST: env.DOCKER_HOST!, INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI! })
}, 120_000)

afterAll(async () => {
  holder?.kill()
  await server?.kill('SIGKILL')
  if (home) rmSync(home, { recursive: true, force: true })
})

describe('saving a deployment checks its host port', () => {
  it('refuses a port another program listens on, naming the program and its pid', async () => {
    holder = spawn(process.execPath, ['-e', "require('net').createServer().listen(0,function(){console.log(this.address().port)})"])
    const port = await new Promise<number>((resolve) => holder!.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString()))))
    const r = await server.api<Refusal>('POST', '/deployments', spec('held', port))
    expect(r.status).toBe(409)
    expect(r.body.message).toBe(`Port ${port} is in use on 127.0.0.1 (by node, pid ${holder.pid}).`)
    expect(r.body.data?.fields).toEqual({ hostPort: 'in use' })
    expect((await server.api<unknown[]>('GET', '/deployments')).body).toEqual([])
  })

  it("refuses InferAdmin's own port and another definition's port; a free port saves", async () => {
    const own = Number(new URL(server.url).port)
    const mine = await server.api<Refusal>('POST', '/deployments', spec('own', own))
    expect(mine.status).toBe(409)
    expect(mine.body.message).toBe(`Port ${own} is in use on 127.0.0.1 (by InferAdmin itself).`)

    holder?.kill()
    const free = 20000 + (process.pid % 20000)
    const first = await server.api<{ definition: { id: string } }>('POST', '/deployments', spec('first', free))
    expect(first.status).toBe(200)
    const second = await server.api<Refusal>('POST', '/deployments', spec('second', free))
    expect(second.status).toBe(409)
    expect(second.body.message).toBe(`Port ${free} is already the host port of "first".`)
    // Saving the first again with its own port is no conflict.
    const again = await server.api('PUT', `/deployments/${first.body.definition.id}`, spec('first', free))
    expect(again.status).toBe(200)
  })
})
