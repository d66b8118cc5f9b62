// @ts-check
// A vLLM stand-in that answers at once (src/main/core/gateway/fake-vllm.fixture.ts: no token pacing, no timers), in
// its own process: `node bench/lib/instant-backend.js <served name>` prints `{"url": …}` and serves until SIGTERM.
// With nothing to wait for, what a proxy adds is not hidden in the millisecond steps of a paced backend's timers.
import { register } from 'tsx/esm/api'

register()
const name = process.argv[2]
if (!name) throw new Error('usage: node bench/lib/instant-backend.js <served name>')
/** @type {typeof import('../../src/main/core/gateway/fake-vllm.fixture.ts')} */
const { FakeVllm } = await import('../../src/main/core/gateway/fake-vllm.fixture.ts')
const vllm = new FakeVllm({ servedNames: [name] })
const url = await vllm.listen()
process.stdout.write(`${JSON.stringify({ url })}\n`)
process.once('SIGTERM', () => void vllm.close().then(() => process.exit(0)))
