import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { DeploymentDefinitions } from './definitions'

const dirs: string[] = []
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('DeploymentDefinitions: the container the app stopped', () => {
  it('is remembered across a restart of the app (stopped.json) and forgotten with the deployment', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'inferadmin-defs-'))
    dirs.push(dataDir)
    const logger = pino({ level: 'silent' })
    const a = new DeploymentDefinitions({ dataDir, logger })
    await a.load()
    expect(a.stoppedByApp('d1')).toBeUndefined()
    await a.markStopped('d1', 'c-old')
    await a.markStopped('d1', 'c-new')
    await a.markStopped('d2', 'c-2')
    const b = new DeploymentDefinitions({ dataDir, logger })
    await b.load()
    expect([b.stoppedByApp('d1'), b.stoppedByApp('d2')]).toEqual(['c-new', 'c-2'])
    await b.remove('d1')
    await b.flush()
    expect(JSON.parse(readFileSync(join(dataDir, 'deployments', 'stopped.json'), 'utf8'))).toEqual({ d2: 'c-2' })
  })
})
