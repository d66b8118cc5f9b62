// Run by failed-start.test.ts in its own process: a core whose start-up fails after every service started.
// What the test reads: one "failed: …" line, then the process exiting by itself (nothing left running).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestCore } from '../../src/main/core/test-core'

const dir = mkdtempSync(join(tmpdir(), 'failed-start-'))
try {
  await createTestCore(dir, {
    afterInit: () => {
      throw new Error('injected start-up failure')
    },
  })
  console.log('started')
} catch (err) {
  console.log(`failed: ${(err as Error).message}`)
}
