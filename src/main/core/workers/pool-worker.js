// @ts-check
// piscina worker entry: CPU-heavy work off the main thread. Plain JavaScript so the same file runs
// from source (tests) and from the build (electron-vite bundles it as out/main/pool-worker.js).
// Task and result types: ./tasks.ts.
import { createHash } from 'node:crypto'
import { createReadStream, statSync } from 'node:fs'

/**
 * @param {import('./tasks').CpuTask} task
 * @returns {Promise<import('./tasks').WorkerEnvelope<unknown>>}
 */
export default async function run(task) {
  const startedAt = performance.timeOrigin + performance.now()
  switch (task.kind) {
    case 'sha256File': {
      const hash = createHash('sha256')
      let bytes = 0
      const stream = createReadStream(task.path, { start: task.start, end: task.end, highWaterMark: 1 << 20 })
      for await (const chunk of stream) {
        hash.update(chunk)
        bytes += chunk.length
      }
      return { value: { sha256: hash.digest('hex'), bytes }, startedAt }
    }
    case 'gitSha1File': {
      const size = statSync(task.path).size
      const hash = createHash('sha1').update(`blob ${size}\0`)
      let bytes = 0
      for await (const chunk of createReadStream(task.path, { highWaterMark: 1 << 20 })) {
        hash.update(chunk)
        bytes += chunk.length
      }
      return { value: { sha1: hash.digest('hex'), bytes }, startedAt }
    }
    case 'parseJson':
      return { value: JSON.parse(task.text), startedAt }
    case 'spin': {
      let iterations = 0
      const until = Date.now() + task.ms
      while (Date.now() < until) iterations++
      return { value: { iterations }, startedAt }
    }
    default:
      throw new Error(`unknown CPU task ${JSON.stringify(task)}`)
  }
}
