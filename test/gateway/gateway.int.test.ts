import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import OpenAI, { APIError, AuthenticationError, NotFoundError } from 'openai'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Deployment, DeploymentSpecInput } from '../../src/shared/contract/deployments'
import type { GatewayLogEntry, GatewayStatus } from '../../src/shared/contract/gateway'
import type { Job } from '../../src/shared/contract/jobs'
import { PROFILES } from '../sim/gpus/profiles.js'
import { freePort } from '../sim/ports.js'
import { seedModel } from '../sim/seed.js'
import { createDeployment, getDeployment, ourContainers, serve, waitFor, waitState, type Server } from '../deployments/support'

// The gateway of the real headless server against the simulated workstation (#15 acceptance), driven by the
// official openai client: one endpoint, models started on demand and held while they load, unloaded when idle.
const [gpu0, gpu1] = PROFILES.default!.gpus
let env: Record<string, string>
let docker: Docker
let home: string
let server: Server
let gatewayUrl: string
let chatRepo: string
let embedRepo: string
const ids: Record<string, string> = {}
/** This machine's LAN address: a request from it is not from loopback (container bridges excluded). */
const lan = Object.entries(networkInterfaces())
  .filter(([name]) => !/^(docker|br-|veth|infsim)/.test(name))
  .flatMap(([, l]) => l ?? [])
  .find((n) => !n.internal && n.family === 'IPv4')?.address

const spec = (name: string, repo: string, gpu: string, extra: Partial<DeploymentSpecInput> = {}): DeploymentSpecInput => ({
  name,
  model: { repo, revision: 'main' },
  image: `${env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
  gpus: [gpu],
  args: { '--gpu-memory-utilization': 0.5 },
  env: { INFERADMIN_SIM_SPEED: '4' },
  ...extra,
})
const client = (apiKey = 'EMPTY', baseURL = gatewayUrl): OpenAI => new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 })
const gateway = async (): Promise<GatewayStatus> => (await server.api<GatewayStatus>('GET', '/gateway')).body
const deployJobs = async (id: string): Promise<number> =>
  (await server.api<Job[]>('GET', '/jobs')).body.filter((j) => j.kind === 'deployment.deploy' && j.target === `deployment:${id}`).length

beforeAll(async () => {
  env = inject('simEnv')
  if (!env) throw new Error('no simEnv: run this file in the vitest "sim" project')
  docker = new Docker({ socketPath: env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
  for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  home = mkdtempSync(join(tmpdir(), 'inferadmin-gateway-'))
  chatRepo = (await seedModel(join(home, 'models'), { kind: 'chat' })).repo
  embedRepo = (await seedModel(join(home, 'models'), { kind: 'embed' })).repo
  const settings = { gpuRefreshMs: 500, containerRefreshMs: 2000, listenInterface: '0.0.0.0', gatewayPort: await freePort() }
  writeFileSync(join(home, 'settings.json'), JSON.stringify(settings))
  server = await serve(home, { DOCKER_HOST: env.DOCKER_HOST!, INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI! })
  gatewayUrl = (await waitFor('the gateway listening', async () => (await gateway()).url ?? undefined)) as string
  const slow = { INFERADMIN_SIM_SPEED: '4', INFERADMIN_SIM_TOKENS_PER_S: '20' }
  ids.chat = (await createDeployment(server, spec('chat', chatRepo, gpu0!.uuid, { aliases: ['my-chat'], env: slow }))).definition.id
  ids.embed = (await createDeployment(server, spec('embed', embedRepo, gpu1!.uuid))).definition.id
}, 180_000)

afterAll(async () => {
  await server?.kill('SIGKILL')
  if (docker) for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  if (home) rmSync(home, { recursive: true, force: true })
})

describe('the gateway on the simulated workstation', { shuffle: false }, () => {
  it('lists every routable model at once, cold ones included, in OpenAI list shape with state and max_model_len', async () => {
    const models = await client().models.list()
    const byId = Object.fromEntries(models.data.map((m) => [m.id, m as unknown as { state: string; object: string }]))
    expect(Object.keys(byId).sort()).toEqual([chatRepo, embedRepo].sort())
    expect(byId[chatRepo]).toMatchObject({ object: 'model', state: 'cold' })
  })

  it('starts a cold model on the first request, holds it while loading, answers (by alias too)', async () => {
    const r = await client().chat.completions.create({ model: 'my-chat', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8 })
    expect(r.choices[0]?.message.content).toMatch(/\S/)
    expect(r.model).toBe(chatRepo)
    const d = await getDeployment(server, ids.chat!)
    expect(d.status.state).toBe('ready')
    // Behind the gateway the container is on loopback only, and refuses a request without the gateway's key.
    expect(d.status.listen).toBe('127.0.0.1')
    const direct = await fetch(`${d.status.endpoint}/models`)
    expect(direct.status).toBe(401)
    const log = (await server.api<GatewayLogEntry[]>('GET', '/gateway/log?limit=5')).body
    expect(log[0]).toMatchObject({ model: 'my-chat', backend: chatRepo, status: 200, coldStart: true })
  })

  it('streams with stream_options.include_usage; embeddings start their own model', async () => {
    const stream = await client().chat.completions.create({
      model: chatRepo,
      messages: [{ role: 'user', content: 'Count' }],
      max_tokens: 6,
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let usage: OpenAI.CompletionUsage | null | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      usage = chunk.usage ?? usage
    }
    expect(text).toMatch(/\S/)
    expect(usage?.completion_tokens).toBeGreaterThan(0)
    const e = await client().embeddings.create({ model: embedRepo, input: ['one', 'two'] })
    expect(e.data).toHaveLength(2)
    expect(e.data[0]?.embedding.length).toBeGreaterThan(8)
  })

  it('an unknown model raises NotFoundError naming the available ones', async () => {
    const err = await client()
      .chat.completions.create({ model: 'nope/nothing', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NotFoundError)
    expect((err as APIError).message).toContain(chatRepo)
  })

  it.runIf(!!lan)('from another address: no key → 401; a key works; revoked → 401; over its limit → 429 with Retry-After', async () => {
    // (runIf: needs a non-loopback address on this machine; CI and developer machines have one.)
    const remote = gatewayUrl.replace('127.0.0.1', lan!)
    const ask = (c: OpenAI) => c.chat.completions.create({ model: chatRepo, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 })
    expect(await ask(client('EMPTY', remote)).catch((e: unknown) => e)).toBeInstanceOf(AuthenticationError)
    const created = (await server.api<{ key: string; info: { id: string } }>('POST', '/gateway/keys', { name: 'laptop' })).body
    expect((await ask(client(created.key, remote))).choices).toHaveLength(1)
    expect((await server.api('DELETE', `/gateway/keys/${created.info.id}`)).status).toBe(200)
    expect(await ask(client(created.key, remote)).catch((e: unknown) => e)).toBeInstanceOf(AuthenticationError)
    const limited = (await server.api<{ key: string }>('POST', '/gateway/keys', { name: 'script', requestsPerMinute: 1 })).body
    await ask(client(limited.key, remote))
    const over = await fetch(`${remote}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${limited.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: chatRepo, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    })
    expect(over.status).toBe(429)
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  it('unloads an idle model after its idle time, never while a stream is open', async () => {
    const d = (await getDeployment(server, ids.chat!)).definition
    const { id: _i, createdAt: _c, updatedAt: _u, ...s } = d
    // 0.3 s idle; the chat model answers at 20 tokens/s (its env), so a 20-token stream stays open ~1 s.
    expect((await server.api('PUT', `/deployments/${ids.chat}`, { ...s, idleMinutes: 0.005 })).status).toBe(200)
    const stream = await client().chat.completions.create({
      model: chatRepo,
      messages: [{ role: 'user', content: 'A long answer' }],
      max_tokens: 20,
      stream: true,
    })
    let chunks = 0
    let openFor = 0
    let first = 0
    for await (const _ of stream) {
      first ||= Date.now()
      openFor = Date.now() - first
      // The idle time passes several times over while this stream is open: still ready.
      if (++chunks % 5 === 0) expect((await getDeployment(server, ids.chat!)).status.state).toBe('ready')
    }
    expect(openFor).toBeGreaterThan(600)
    await waitState(server, ids.chat!, 'stopped', 60_000)
  })

  it('20 concurrent requests for a cold model start it once and all get answers', async () => {
    expect((await getDeployment(server, ids.chat!)).status.state).toBe('stopped')
    const before = await deployJobs(ids.chat!)
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client().chat.completions.create({ model: chatRepo, messages: [{ role: 'user', content: `n${i}` }], max_tokens: 2 }),
      ),
    )
    expect(answers.every((a) => a.choices.length === 1)).toBe(true)
    expect((await deployJobs(ids.chat!)) - before).toBe(1)
  })

  it('a start that fails answers the held request with 503 and the reason', async () => {
    const ghost = await createDeployment(server, spec('ghost', 'nobody/missing-model', gpu1!.uuid, { aliases: ['ghost'] }))
    const err = await client()
      .chat.completions.create({ model: 'ghost', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(APIError)
    expect((err as APIError).status).toBe(503)
    expect((err as APIError).message).toContain('nobody/missing-model is not in the model store')
    expect((await server.api('DELETE', `/deployments/${ghost.definition.id}`)).status).toBe(200)
  })

  it('always-on: switching to it starts the model, and it is never unloaded for idleness', async () => {
    const d: Deployment = await getDeployment(server, ids.embed!)
    const { id: _i, createdAt: _c, updatedAt: _u, ...s } = d.definition
    await waitState(server, ids.embed!, 'ready', 60_000) // the embeddings request above started it
    expect((await server.api('PUT', `/deployments/${ids.embed}`, { ...s, serve: 'always-on', idleMinutes: 0.01 })).status).toBe(200)
    const row = await waitFor('embed listed as always-on', async () =>
      (await gateway()).models.find((m) => m.id === ids.embed && m.serve === 'always-on'),
    )
    expect(row.unloadAt).toBeNull()
    expect((await getDeployment(server, ids.embed!)).status.state).toBe('ready')
  })
})
