// @ts-check
// Runs a TypeScript worker entry from the source tree (tests and benches; the app runs the built
// JavaScript): registers tsx in this thread, then imports workerData.entry (a file URL).
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(/** @type {{ entry: string }} */ (workerData).entry)
