import type Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useSim, waitFor } from './support'

// The simulated Open WebUI image on its own (no app): health, PersistentConfig in the data volume, accounts
// and the admin API as the real one behaves (vllm-facts §6, test/sim/README.md).
const VOLUME = 'inferadmin-sim-test-webui-data'
let docker: Docker
let image: string
const made: Docker.Container[] = []

async function run(env: string[]): Promise<{ c: Docker.Container; base: string }> {
  const c = await docker.createContainer({
    Image: image,
    Env: env,
    Labels: { 'inferadmin.sim.test': '1' },
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: { Binds: [`${VOLUME}:/app/backend/data`], PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  })
  made.push(c)
  await c.start()
  const port = (await c.inspect()).NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort
  await waitFor('Docker health healthy', async () => (await c.inspect()).State.Health?.Status === 'healthy', 20_000)
  return { c, base: `http://127.0.0.1:${port}` }
}

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...init?.headers },
    signal: AbortSignal.timeout(8000),
  })
  return { status: res.status, body: (await res.json()) as T }
}

async function remove(c: Docker.Container): Promise<void> {
  await c.remove({ force: true }).catch(() => undefined)
}

type Cfg = { OPENAI_API_BASE_URLS: string[]; OPENAI_API_KEYS: string[]; ENABLE_OPENAI_API: boolean }

beforeAll(async () => {
  const sim = useSim()
  docker = sim.docker
  image = `${sim.env.INFERADMIN_SIM_WEBUI_IMAGE}:main`
  await docker
    .getVolume(VOLUME)
    .remove()
    .catch(() => undefined)
})

afterAll(async () => {
  for (const c of made) await remove(c)
  await docker
    ?.getVolume(VOLUME)
    .remove()
    .catch(() => undefined)
})

describe('simulated Open WebUI', () => {
  it('health, accounts, admin API, and PersistentConfig: env read on the first start only (unless ENABLE_PERSISTENT_CONFIG=false)', async () => {
    const first = await run([
      'OPENAI_API_BASE_URLS=http://a:1/v1;http://b:2/v1',
      'OPENAI_API_KEYS=ka',
      'ENABLE_OLLAMA_API=false',
      'WEBUI_SECRET_KEY=one',
    ])
    expect((await json(`${first.base}/health`)).body).toEqual({ status: true })
    expect((await json(`${first.base}/health/db`)).body).toEqual({ status: true })
    expect(await (await fetch(`${first.base}/`)).text()).toContain('<title>Open WebUI</title>')

    // Admin API needs an admin token.
    expect(await json(`${first.base}/openai/config`)).toEqual({ status: 401, body: { detail: 'Not authenticated' } })
    const admin = await json<{ token: string; role: string }>(`${first.base}/api/v1/auths/signup`, {
      method: 'POST',
      body: JSON.stringify({ name: 'A', email: 'a@x.io', password: 'pw-admin' }),
    })
    expect(admin.body.role).toBe('admin')
    // Sign-up closes after the first account; a wrong password is a 400 with the real wording.
    expect(
      (
        await json(`${first.base}/api/v1/auths/signup`, {
          method: 'POST',
          body: JSON.stringify({ name: 'B', email: 'b@x.io', password: 'pw' }),
        })
      ).status,
    ).toBe(403)
    expect(
      (
        await json<{ detail: string }>(`${first.base}/api/v1/auths/signin`, {
          method: 'POST',
          body: JSON.stringify({ email: 'a@x.io', password: 'nope' }),
        })
      ).body.detail,
    ).toMatch(/email or password provided is incorrect/)
    const auth = { authorization: `Bearer ${admin.body.token}` }
    const cfg = await json<Cfg>(`${first.base}/openai/config`, { headers: auth })
    // Keys padded to the URLs, as config.py does.
    expect(cfg.body).toMatchObject({
      OPENAI_API_BASE_URLS: ['http://a:1/v1', 'http://b:2/v1'],
      OPENAI_API_KEYS: ['ka', ''],
      ENABLE_OPENAI_API: true,
    })

    // Recreated with other env and the same volume: the stored config wins; the old key's tokens die.
    await remove(first.c)
    const second = await run(['OPENAI_API_BASE_URLS=http://c:3/v1', 'WEBUI_SECRET_KEY=two'])
    expect((await json(`${second.base}/openai/config`, { headers: auth })).status).toBe(401)
    const again = await json<{ token: string }>(`${second.base}/api/v1/auths/signin`, {
      method: 'POST',
      body: JSON.stringify({ email: 'a@x.io', password: 'pw-admin' }),
    })
    const auth2 = { authorization: `Bearer ${again.body.token}` }
    expect((await json<Cfg>(`${second.base}/openai/config`, { headers: auth2 })).body.OPENAI_API_BASE_URLS).toEqual([
      'http://a:1/v1',
      'http://b:2/v1',
    ])
    // Only the admin API changes it (keys trimmed/padded to the URLs).
    const upd = await json<Cfg>(`${second.base}/openai/config/update`, {
      method: 'POST',
      headers: auth2,
      body: JSON.stringify({
        ENABLE_OPENAI_API: true,
        OPENAI_API_BASE_URLS: ['http://d:4/v1'],
        OPENAI_API_KEYS: [],
        OPENAI_API_CONFIGS: { '0': {}, '5': {} },
      }),
    })
    expect(upd.body).toMatchObject({ OPENAI_API_BASE_URLS: ['http://d:4/v1'], OPENAI_API_KEYS: [''], OPENAI_API_CONFIGS: { '0': {} } })

    await remove(second.c)
    const third = await run(['OPENAI_API_BASE_URLS=http://e:5/v1', 'WEBUI_SECRET_KEY=two', 'ENABLE_PERSISTENT_CONFIG=false'])
    const st = await json<{ config: { openai: Cfg }; starts: number; users: unknown[] }>(`${third.base}/inferadmin-sim/state`)
    expect(st.body.config.openai.OPENAI_API_BASE_URLS).toEqual(['http://e:5/v1'])
    expect(st.body.starts).toBe(3)
    expect(st.body.users).toEqual([{ email: 'a@x.io', role: 'admin' }])
  })
})
