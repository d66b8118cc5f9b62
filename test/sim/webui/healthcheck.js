// @ts-check
/**
 * HEALTHCHECK of the simulated Open WebUI (the real image: `curl --silent --fail http://localhost:${PORT:-8080}/health
 * | jq -ne 'input.status == true'`): exit 0 when GET /health answers {"status": true}.
 */
import { request } from 'node:http'

const req = request({ host: '127.0.0.1', port: Number(process.env.PORT || 8080), path: '/health', timeout: 2000 }, (res) => {
  let body = ''
  res.on('data', (d) => (body += d))
  res.on('end', () => {
    try {
      process.exit(res.statusCode === 200 && JSON.parse(body).status === true ? 0 : 1)
    } catch {
      process.exit(1)
    }
  })
})
req.on('timeout', () => req.destroy(new Error('timeout')))
req.on('error', () => process.exit(1))
req.end()
