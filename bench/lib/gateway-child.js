// @ts-check
// The gateway in its own process, as in the app (its own event loop, apart from the client and the backend):
// `node bench/lib/gateway-child.js <backend url> <served name>` runs a GatewayServer (metrics on, request log on,
// no key needed from loopback) with one ready deployment at that URL, prints `{"url": …}`, serves until SIGTERM.
import { register } from 'tsx/esm/api'

register()
const [endpoint, name] = process.argv.slice(2)
if (!endpoint || !name) throw new Error('usage: node bench/lib/gateway-child.js <backend url> <served name>')

/** @type {typeof import('../../src/main/core/gateway/gateway-server.ts')} */
const { GatewayServer } = await import('../../src/main/core/gateway/gateway-server.ts')
/** @type {typeof import('../../src/main/core/gateway/fake-backends.fixture.ts')} */
const { FakeBackends, backend } = await import('../../src/main/core/gateway/fake-backends.fixture.ts')
/** @type {typeof import('../../src/main/core/logging/logger.ts')} */
const { silentLogger } = await import('../../src/main/core/logging/logger.ts')
const { Registry } = await import('prom-client')

const backends = new FakeBackends([backend('m', { servedNames: [name], state: 'ready', endpoint })])
const gw = new GatewayServer({
  backends,
  keys: { verify: () => null },
  registry: new Registry(),
  logger: silentLogger(),
  options: { port: 0, host: '127.0.0.1' },
})
const started = await gw.start()
if (!started.ok) throw new Error(`${started.error.message} ${started.error.fix}`)
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${gw.port}` })}\n`)
process.once('SIGTERM', () => void gw.dispose().then(() => process.exit(0)))
