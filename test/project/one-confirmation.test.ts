import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

// Issue 14.9: every delete asks through components/confirm/ConfirmDialog.vue (what is removed, what is kept),
// never the browser's native confirm() or an inline Keep/Delete pair.
const renderer = resolve(import.meta.dirname, '../../src/renderer/src')
const sources = (readdirSync(renderer, { recursive: true }) as string[])
  .filter((f) => /\.(vue|ts)$/.test(f) && !f.endsWith('.test.ts'))
  .map((f) => ({ file: f, text: readFileSync(join(renderer, f), 'utf8') }))

describe('one confirmation dialog everywhere', () => {
  it('no renderer file asks with the native confirm()', () => {
    expect(sources.length).toBeGreaterThan(20)
    expect(sources.filter((s) => /(^|[^.\w])(window\.)?confirm\s*\(/.test(s.text)).map((s) => s.file)).toEqual([])
  })

  it('no inline Keep button next to a delete', () => {
    expect(sources.filter((s) => />\s*Keep\s*</.test(s.text) || /'Keep'/.test(s.text)).map((s) => s.file)).toEqual([])
  })

  it('every delete or remove of a deployment, model, image or Open WebUI goes through ConfirmDialog', () => {
    const callers = sources.filter((s) => /api\.(deployments\.delete|models\.delete|engine\.removeImage|webui\.delete)\(/.test(s.text))
    expect(callers.length).toBeGreaterThanOrEqual(4)
    for (const c of callers) expect(c.text, c.file).toContain('ConfirmDialog')
    const prune = sources.filter((s) => /dryRun: false/.test(s.text))
    for (const c of prune) expect(c.text, c.file).toContain('ConfirmDialog')
  })
})
