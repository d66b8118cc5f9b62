import { fileURLToPath } from 'node:url'

/** The worker entry in the source tree (tests run it directly; it is plain JavaScript). */
export const SOURCE_WORKER_FILE = fileURLToPath(new URL('./pool-worker.js', import.meta.url))
