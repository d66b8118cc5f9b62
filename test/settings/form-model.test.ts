import { describe, expect, it } from 'vitest'
import { defaultSettings } from '../../src/main/core/settings/defaults'
import { diffSettings, toDraft, validateDraft } from '../../src/renderer/src/features/settings/form-model'

const saved = defaultSettings({ configDir: '/srv/inferadmin', dataDir: '/srv/inferadmin' }, { INFERADMIN_HOME: '/srv/inferadmin' })

describe('the Settings form: gateway fields', () => {
  it('edits the gateway numbers as text and saves only what changed, as numbers', () => {
    const draft = toDraft(saved)
    expect(draft.gatewayPort).toBe('8000')
    expect(draft.gatewayIdleMinutes).toBe('15')
    const r = validateDraft({ ...draft, gatewayPort: '8123', gatewayKeyOnLoopback: true })
    if (!r.ok) throw new Error(JSON.stringify(r.errors))
    expect(diffSettings(saved, r.settings)).toEqual({ ok: true, patch: { gatewayPort: 8123, gatewayKeyOnLoopback: true } })
  })

  it('an out-of-range gateway value names the field and the allowed range', () => {
    const r = validateDraft({ ...toDraft(saved), gatewayPort: '70000', gatewayMaxWaitMinutes: '0', gatewayQueueLimit: 'many' })
    expect(r.ok).toBe(false)
    expect(r.errors).toMatchObject({
      gatewayPort: 'a port from 1 to 65535',
      gatewayMaxWaitMinutes: 'at least 1 minute',
      gatewayQueueLimit: 'enter a whole number',
    })
  })
})
