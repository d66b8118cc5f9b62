import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Job } from '../../src/shared/contract/jobs'
import type { Core } from '../../src/main/core/create-core'
import { createTestCore } from '../../src/main/core/test-core'
import { ADMIN_EMAIL, WEBUI_VOLUME } from '../../src/main/core/webui/webui-spec'
import { waitFor } from '../sim/support'
import { lanHost, pollSignup, type LanHost } from './lan'
import { freePort, simState, volumeExists } from './support'

// Open WebUI makes whoever signs up first its admin. A second machine on the LAN (a network namespace behind a
// veth pair: it reaches this host only through a non-loopback address) polls sign-up through the whole deploy,
// as fast as Open WebUI answers; it must never get in, and the admin must be InferAdmin's.
let env: Record<string, string>
let docker: Docker
let home: string
let core: Core | undefined
let lan: LanHost | undefined
let port: number

/** Open WebUI's containers, the setup one included (label filters AND, so by kind here). */
const ours = async (): Promise<Docker.ContainerInfo[]> =>
  (await docker.listContainers({ all: true, filters: JSON.stringify({ label: ['inferadmin.managed=true'] }) })).filter((c) =>
    ['webui', 'webui-setup'].includes(c.Labels['inferadmin.kind'] ?? ''),
  )

async function clean(): Promise<void> {
  for (const c of await ours())
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined)
  if (await volumeExists(docker, WEBUI_VOLUME)) await docker.getVolume(WEBUI_VOLUME).remove()
}

async function finished(c: Core, job: Job): Promise<Job> {
  return waitFor(
    `job ${job.kind}`,
    () => {
      const j = c.jobs.get(job.id)
      return j.state === 'done' || j.state === 'failed' || j.state === 'cancelled' ? j : undefined
    },
    120_000,
  )
}

beforeAll(async () => {
  env = inject('simEnv')
  if (!env) throw new Error('no simEnv: run this file in the vitest "sim" project')
  docker = new Docker({ socketPath: env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
  await clean()
  home = mkdtempSync(join(tmpdir(), 'inferadmin-first-admin-'))
  port = await freePort()
  writeFileSync(join(home, 'settings.json'), JSON.stringify({ listenInterface: '0.0.0.0', webuiPort: port, containerRefreshMs: 2000 }))
  const coreEnv = { INFERADMIN_HOME: home, PATH: process.env.PATH, DOCKER_HOST: env.DOCKER_HOST }
  Object.assign(coreEnv, { INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI })
  core = await createTestCore(home, { env: coreEnv })
  lan = lanHost()
}, 120_000)

afterAll(async () => {
  lan?.remove()
  await core?.dispose()
  if (docker) await clean()
  if (home) rmSync(home, { recursive: true, force: true })
})

// An ordered scenario: the redeploy step uses the Open WebUI data the first deploy created (shuffled runs keep
// this order; seed 500 of npm run test:stress ran the redeploy first).
describe('first admin of Open WebUI', { shuffle: false }, () => {
  it('no client on the network can sign up first while InferAdmin deploys it: the only admin is InferAdmin', async () => {
    const poller = pollSignup(lan!, resolve(import.meta.dirname, 'lan-signup.js'), `http://${lan!.hostAddr}:${port}`)
    try {
      // Polling (refused: nothing listens yet) before the deploy starts.
      await waitFor('the LAN host polling', () => poller.attempts.length >= 3)
      const job = await finished(core!, await core!.webui.deploy({}))
      expect(job.state, JSON.stringify(job.error)).toBe('done')
      // Until it has had answers from the published Open WebUI: proof that it reaches it over the network.
      const answers = () => poller.attempts.filter((a) => a.status !== undefined).length
      await waitFor('answers from the published Open WebUI', () => answers() >= 3, 30_000)
    } finally {
      await poller.stop()
    }
    const answered = poller.attempts.filter((a) => a.status !== undefined)
    expect(poller.attempts.filter((a) => a.error?.startsWith('poller exited'))).toEqual([])
    expect(answered.filter((a) => a.status === 200)).toEqual([])
    // Sign-up is closed (ACCESS_PROHIBITED) whenever the LAN sees Open WebUI at all.
    expect(new Set(answered.map((a) => a.status))).toEqual(new Set([403]))

    const st = await simState(port)
    expect(st.users).toEqual([{ email: ADMIN_EMAIL, role: 'admin' }])
    await waitFor('in sync', () => core!.webui.status().sync.state === 'in-sync', 20_000)
    // Published on the listen interface; the loopback-only setup container is gone.
    const left = await ours()
    expect(left.map((c) => c.Labels['inferadmin.kind'])).toEqual(['webui'])
    const info = await docker.getContainer(left[0]!.Id).inspect()
    expect(info.HostConfig.PortBindings?.['8080/tcp']).toEqual([{ HostIp: '0.0.0.0', HostPort: String(port) }])
  })

  it('a redeploy on the same data starts Open WebUI once: the setup runs only for data without accounts', async () => {
    const before = (await simState(port)).starts
    expect((await finished(core!, core!.webui.delete(false))).state).toBe('done')
    expect(await volumeExists(docker, WEBUI_VOLUME)).toBe(true)
    const job = await finished(core!, await core!.webui.deploy({}))
    expect(job.state, JSON.stringify(job.error)).toBe('done')
    const st = await simState(port)
    expect(st.starts).toBe(before + 1)
    expect(st.users).toEqual([{ email: ADMIN_EMAIL, role: 'admin' }])
  })
})
