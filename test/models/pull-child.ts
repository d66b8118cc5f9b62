/**
 * A pull in a process of its own, for kill.test.ts: the real services on `home` (settings, jobs, store),
 * resuming the pull a killed run left there (JobService.restore) or starting one. Prints one JSON line
 * per job update and `{"exit":…}` at the end.
 * Usage: node --import tsx test/models/pull-child.ts <hubUrl> <home> <repo> [file,file,…]
 * Bundled (kill.test.ts), the transfer thread's bundled entry is INFERADMIN_TEST_TRANSFER_WORKER.
 */
import { makeStore } from './support'

const [hubUrl, home, repo, files] = process.argv.slice(2) as [string, string, string, string | undefined]
const worker = process.env.INFERADMIN_TEST_TRANSFER_WORKER
const transferWorker = worker ? { file: worker } : undefined
const s = await makeStore(hubUrl, { home, transferWorker, tuning: { chunkSize: 1 << 20, stallMs: 10_000 } })
const say = (o: object): boolean => process.stdout.write(`${JSON.stringify(o)}\n`)
s.jobs.onUpdate((j) => say({ state: j.state, message: j.progress?.message, bytes: j.progress?.bytesDone }))
const job = s.jobs.list().find((j) => j.kind === 'model.pull') ?? (await s.models.pull({ repo, files: files?.split(',') }))
const end = await s.waitJob(job.id, ['done', 'failed', 'paused', 'cancelled'], 60_000)
await s.dispose()
say({ exit: end.state, error: end.error?.message })
