import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Deployment } from '../../src/shared/contract/deployments'
import type { Job } from '../../src/shared/contract/jobs'
import { makeHome, serve, waitFor, type Server } from './support'

// Docker down: a stopped deployment (no container known) can still be deleted; a container we could not see would
// show up as an orphan once Docker answers again. The real headless server, Docker pointed at a socket that is not there.
let home: string
let server: Server

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'inferadmin-offline-delete-'))
  makeHome(home)
  server = await serve(home, { DOCKER_HOST: `unix://${join(home, 'no-docker.sock')}` })
}, 120_000)

afterAll(async () => {
  await server?.kill()
  if (home) rmSync(home, { recursive: true, force: true })
})

describe('deleting a deployment while Docker is not reachable', () => {
  it('deletes a stopped one: the job says why it could not look for a container, the definition is gone', async () => {
    const made = await server.api<Deployment>('POST', '/deployments', {
      name: 'offline',
      model: { repo: 'org/some-model' },
      image: 'vllm/vllm-openai:v0.21.0',
    })
    expect(made.status).toBe(200)
    const job = (await server.api<Job>('DELETE', `/deployments/${made.body.definition.id}`)).body
    const done = await waitFor('the delete job ends', async () => {
      const j = (await server.api<Job>('GET', `/jobs/${job.id}`)).body
      return j.state === 'done' || j.state === 'failed' ? j : undefined
    })
    expect(done.state, JSON.stringify(done.error)).toBe('done')
    expect((await server.api<Deployment[]>('GET', '/deployments')).body).toEqual([])
  })
})
