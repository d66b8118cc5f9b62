import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomInt } from 'node:crypto'

/** One attempt of the LAN client (test/webui/lan-signup.js). */
export interface Attempt {
  t: number
  status?: number
  role?: string | null
  error?: string
}

export interface LanHost {
  /** This host's address as the LAN host sees it (not loopback). */
  hostAddr: string
  /** The LAN host's own address. */
  addr: string
  /** Runs a command inside the LAN host. */
  run(cmd: string, args: string[]): ChildProcess
  /** Deletes the namespace and the veth pair. */
  remove(): void
}

const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })

/**
 * A second machine on the LAN: a network namespace joined to this host by a veth pair on a /30 of its own
 * (needs root and iproute2, like the simulated workstation). Its traffic reaches this host's non-loopback
 * address only, exactly as another computer's would.
 */
export function lanHost(): LanHost {
  const id = randomInt(0x10000).toString(16).padStart(4, '0')
  const ns = `ia-lan-${id}`
  const hostIf = `ialan${id}h`
  const nsIf = `ialan${id}n`
  const net = `10.252.${randomInt(256)}.${randomInt(64) * 4}`.split('.').map(Number)
  const hostAddr = [...net.slice(0, 3), net[3]! + 1].join('.')
  const addr = [...net.slice(0, 3), net[3]! + 2].join('.')
  ip('netns', 'add', ns)
  try {
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf)
    ip('link', 'set', nsIf, 'netns', ns)
    ip('addr', 'add', `${hostAddr}/30`, 'dev', hostIf)
    ip('link', 'set', hostIf, 'up')
    ip('-n', ns, 'addr', 'add', `${addr}/30`, 'dev', nsIf)
    ip('-n', ns, 'link', 'set', nsIf, 'up')
    ip('-n', ns, 'link', 'set', 'lo', 'up')
  } catch (err) {
    remove()
    throw err
  }
  function remove(): void {
    // Deleting the namespace deletes its end of the pair, and with it the host's end.
    try {
      ip('netns', 'del', ns)
    } catch {
      /* already gone */
    }
    try {
      ip('link', 'del', hostIf)
    } catch {
      /* gone with the namespace */
    }
  }
  return {
    hostAddr,
    addr,
    run: (cmd, args) => spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
    remove,
  }
}

/** Starts the sign-up poller in `lan` against `url`; attempts are collected as they come. */
export function pollSignup(lan: LanHost, script: string, url: string): { attempts: Attempt[]; proc: ChildProcess; stop(): Promise<void> } {
  const proc = lan.run(process.execPath, [script, url])
  const attempts: Attempt[] = []
  let rest = ''
  proc.stdout?.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n')
    rest = lines.pop() ?? ''
    for (const l of lines) if (l.trim()) attempts.push(JSON.parse(l) as Attempt)
  })
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  proc.once('exit', (code) => {
    if (code) attempts.push({ t: Date.now(), error: `poller exited ${code}: ${stderr.slice(-300)}` })
  })
  return {
    attempts,
    proc,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill('SIGTERM')
      await exited
    },
  }
}
