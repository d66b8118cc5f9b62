import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import type { CpuTask, WorkerEnvelope } from './tasks'

/** piscina worker entry: CPU-heavy work off the main thread. */
export default async function run(task: CpuTask): Promise<WorkerEnvelope<unknown>> {
  const startedAt = performance.timeOrigin + performance.now()
  switch (task.kind) {
    case 'sha256File': {
      const hash = createHash('sha256')
      let bytes = 0
      const stream = createReadStream(task.path, { start: task.start, end: task.end, highWaterMark: 1 << 20 })
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        hash.update(chunk)
        bytes += chunk.length
      }
      return { value: { sha256: hash.digest('hex'), bytes }, startedAt }
    }
    case 'parseJson':
      return { value: JSON.parse(task.text) as unknown, startedAt }
    case 'spin': {
      let iterations = 0
      const until = Date.now() + task.ms
      while (Date.now() < until) iterations++
      return { value: { iterations }, startedAt }
    }
  }
}
