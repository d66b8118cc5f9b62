// @ts-check
/**
 * Someone on the LAN who wants Open WebUI's admin: polls its sign-up as fast as it answers and prints one JSON line
 * per attempt ({t, status, role} or {t, error}). Run inside the LAN host's network namespace (see lan.ts).
 * Usage: node lan-signup.js http://<host address>:<port>
 */
const url = process.argv[2]
process.on('SIGTERM', () => process.exit(0))
const form = JSON.stringify({ name: 'Mallory', email: 'mallory@lan.example', password: 'mallory-password' })
for (;;) {
  const t = Date.now()
  try {
    const headers = { 'content-type': 'application/json' }
    const res = await fetch(`${url}/api/v1/auths/signup`, { method: 'POST', headers, body: form, signal: AbortSignal.timeout(1000) })
    const body = /** @type {{role?: string}} */ (await res.json().catch(() => ({})))
    process.stdout.write(`${JSON.stringify({ t, status: res.status, role: body.role ?? null })}\n`)
  } catch (err) {
    const e = /** @type {Error & {cause?: {code?: string}}} */ (err)
    process.stdout.write(`${JSON.stringify({ t, error: e.cause?.code ?? e.name })}\n`)
    // Refused at once while nothing listens there: a short pause keeps the loop from spinning a core.
    await new Promise((r) => setTimeout(r, 10))
  }
}
