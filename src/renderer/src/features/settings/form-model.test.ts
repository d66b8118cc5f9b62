import { describe, expect, it } from 'vitest'
import type { Settings } from '@shared/settings'
import { diffSettings, toDraft, validateDraft } from './form-model'

// The app's defaults (src/main/core/settings/defaults.ts), as the page gets them from the server.
const saved: Settings = {
  modelStores: [{ path: '/srv/inferadmin/models', label: 'Default' }],
  defaultStore: 0,
  listenInterface: '0.0.0.0',
  apiHost: '127.0.0.1',
  gpuRefreshMs: 1000,
  containerRefreshMs: 5000,
  cpuPoolSize: 0,
  ioConcurrency: 8,
  dockerSocket: '',
  vllmImageRepository: 'vllm/vllm-openai',
  webuiImage: 'ghcr.io/open-webui/open-webui',
  webuiPort: 3000,
  tagRefreshTime: '03:00',
  vllmShmSize: '10.24g',
  hubEndpoint: '',
  theme: 'system',
  gatewayEnabled: true,
  gatewayPort: 8000,
  gatewayIdleMinutes: 15,
  gatewayMaxWaitMinutes: 10,
  gatewayQueueLimit: 256,
  gatewayLoadProgress: true,
  gatewayKeyOnLoopback: false,
  notifyDownloads: true,
  notifyModelStart: true,
  notifyModelCrash: true,
  notifyModelUnload: false,
  notifyVllmRelease: true,
  notifyWebuiReady: true,
  autostart: false,
  startMinimised: false,
}

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

describe('the Settings form: notification and desktop toggles', () => {
  it('saves a changed toggle as a boolean and nothing else', () => {
    const r = validateDraft({ ...toDraft(saved), notifyModelUnload: true, startMinimised: true })
    if (!r.ok) throw new Error(JSON.stringify(r.errors))
    expect(diffSettings(saved, r.settings)).toEqual({ ok: true, patch: { notifyModelUnload: true, startMinimised: true } })
  })
})
