import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MAX_SESSIONS, SESSION_TTL_MS, SessionStore } from './sessions'

const fileIn = (): string => join(mkdtempSync(join(tmpdir(), 'inferadmin-sessions-')), 'sessions.json')

describe('SessionStore', () => {
  it('issues random secrets that survive a restart, stored only as hashes in a 0600 file', async () => {
    const file = fileIn()
    const store = await SessionStore.open({ file })
    const a = await store.create()
    const b = await store.create()
    expect(a).not.toBe(b)
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(store.valid(a)).toBe(true)
    expect(store.valid('not-a-session')).toBe(false)
    expect(store.valid(undefined)).toBe(false)

    expect(statSync(file).mode & 0o777).toBe(0o600)
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain(a)
    expect(text).not.toContain(b)

    const reopened = await SessionStore.open({ file })
    expect(reopened.valid(a)).toBe(true)
    expect(reopened.valid(b)).toBe(true)
  })

  it('ends sessions one at a time or all at once, also for the next start', async () => {
    const file = fileIn()
    const store = await SessionStore.open({ file })
    const a = await store.create()
    const b = await store.create()
    await store.revoke(a)
    expect(store.valid(a)).toBe(false)
    expect(store.valid(b)).toBe(true)
    await store.revokeAll()
    expect(store.valid(b)).toBe(false)
    expect((await SessionStore.open({ file })).size).toBe(0)
  })

  it('expires a session after its lifetime, in memory and when read back', async () => {
    const file = fileIn()
    let now = 1_000_000
    const store = await SessionStore.open({ file, now: () => now })
    const a = await store.create()
    now += SESSION_TTL_MS - 1
    expect(store.valid(a)).toBe(true)
    now += 1
    expect(store.valid(a)).toBe(false)
    expect((await SessionStore.open({ file, now: () => now })).valid(a)).toBe(false)
  })

  it('keeps a session in use alive: past half its lifetime, using it extends it to a full lifetime from now', async () => {
    const file = fileIn()
    let now = 1_000_000
    const store = await SessionStore.open({ file, now: () => now })
    const a = await store.create()
    now += SESSION_TTL_MS / 2 - 1000
    expect(await store.renew(a)).toBe(false) // more than half left: nothing written
    now += 2000
    expect(await store.renew(a)).toBe(true)
    now += SESSION_TTL_MS - 1
    expect(store.valid(a)).toBe(true)
    expect((await SessionStore.open({ file, now: () => now })).valid(a)).toBe(true)
    now += 1
    expect(store.valid(a)).toBe(false)
    // an expired, revoked or unknown session is not brought back
    expect(await store.renew(a)).toBe(false)
    const b = await store.create()
    await store.revokeAll()
    now += SESSION_TTL_MS - 1
    expect(await store.renew(b)).toBe(false)
    expect(await store.renew('not-a-session')).toBe(false)
    expect(await store.renew(undefined)).toBe(false)
  })

  it('keeps at most MAX_SESSIONS, dropping the oldest', async () => {
    let now = 0
    const store = await SessionStore.open({ now: () => now })
    const secrets: string[] = []
    for (let i = 0; i < MAX_SESSIONS + 2; i++) {
      now += 1000
      secrets.push(await store.create())
    }
    expect(store.size).toBe(MAX_SESSIONS)
    expect(store.valid(secrets[0])).toBe(false)
    expect(store.valid(secrets[1])).toBe(false)
    expect(store.valid(secrets.at(-1))).toBe(true)
  })

  it('starts empty from a missing or damaged file', async () => {
    const file = fileIn()
    expect((await SessionStore.open({ file })).size).toBe(0)
    writeFileSync(file, '{not json')
    expect((await SessionStore.open({ file })).size).toBe(0)
    writeFileSync(
      file,
      JSON.stringify({
        sessions: [
          { id: 'short', expiresAt: Date.now() + 1000 },
          { id: 'f'.repeat(64), expiresAt: 'x' },
        ],
      }),
    )
    expect((await SessionStore.open({ file })).size).toBe(0)
  })
})
