// @ts-check
/**
 * Ports for servers that are configured with a port and bound later (docker-registry's config file, a
 * container's published port, a settings value). `listen(0)` hands out a port from the kernel's ephemeral range,
 * which the kernel may give again at once to any other `listen(0)` or outgoing connection of this busy machine
 * (the Hub stand-in, dockerd, Chromium), so a port learned that way can be taken before it is bound. These
 * come from below the ephemeral range instead, where nothing is handed out by itself, and are checked free.
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

const FLOOR = 20_000

/** Start of the kernel's ephemeral range (Linux; 32768 elsewhere). */
function ephemeralLow() {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    return Number.isInteger(low) && low > FLOOR + 1000 ? low : 32_768
  } catch {
    return 32_768
  }
}

/**
 * @param {number} port
 * @param {string} host
 * @returns {Promise<boolean>}
 */
function canBind(port, host) {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)))
  })
}

/** Ports handed out by this process, never twice. */
const given = new Set()

/**
 * A TCP port free on all interfaces and on loopback, outside the ephemeral range.
 * @returns {Promise<number>}
 */
export async function freePort() {
  const high = ephemeralLow()
  for (let i = 0; i < 200; i++) {
    const port = FLOOR + Math.floor(Math.random() * (high - FLOOR))
    if (given.has(port)) continue
    if ((await canBind(port, '0.0.0.0')) && (await canBind(port, '127.0.0.1'))) {
      given.add(port)
      return port
    }
  }
  throw new Error(`no free port between ${FLOOR} and ${high}`)
}
