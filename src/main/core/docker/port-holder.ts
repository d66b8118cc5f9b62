import { readdir, readFile, readlink } from 'node:fs/promises'

/**
 * Which program listens on a TCP port (Linux: /proc/net/tcp{,6} give the listening socket's inode, /proc/<pid>/fd
 * the process holding it). Null where the OS does not tell (another OS, or another user's process without root).
 */
export async function portHolder(port: number, proc = '/proc'): Promise<{ pid: number; name: string } | null> {
  const inodes = new Set<string>()
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`${proc}/net/${table}`, 'utf8').catch(() => '')
    for (const inode of listeningInodes(text, port)) inodes.add(inode)
  }
  if (!inodes.size) return null
  const pids = (await readdir(proc).catch(() => [] as string[])).filter((p) => /^\d+$/.test(p))
  for (const pid of pids) {
    const fds = await readdir(`${proc}/${pid}/fd`).catch(() => [] as string[])
    for (const fd of fds) {
      const link = await readlink(`${proc}/${pid}/fd/${fd}`).catch(() => '')
      const m = /^socket:\[(\d+)\]$/.exec(link)
      if (m && inodes.has(m[1] as string)) return { pid: Number(pid), name: await processName(proc, pid) }
    }
  }
  return null
}

/** Inodes of the sockets listening (state 0A) on `port` in a /proc/net/tcp table. */
export function listeningInodes(table: string, port: number): string[] {
  const out: string[] = []
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    const local = f[1]
    if (!local || f[3] !== '0A') continue
    if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && f[9] && f[9] !== '0') out.push(f[9])
  }
  return out
}

async function processName(proc: string, pid: string): Promise<string> {
  const comm = (await readFile(`${proc}/${pid}/comm`, 'utf8').catch(() => '')).trim()
  if (Number(pid) === process.pid) return 'InferAdmin itself'
  // Docker publishes container ports through docker-proxy: say which container address it forwards to.
  if (comm === 'docker-proxy') {
    const argv = (await readFile(`${proc}/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')
    const ip = argv[argv.indexOf('-container-ip') + 1]
    return ip ? `a Docker container (docker-proxy to ${ip})` : 'a Docker container (docker-proxy)'
  }
  return comm || 'a process'
}

/** "Port 8000 is in use on 0.0.0.0 (by python3, pid 4242)." — the holder named where the OS tells. */
export async function portInUseText(iface: string, port: number): Promise<string> {
  const h = await portHolder(port)
  const by = h ? ` (by ${h.name}${h.name === 'InferAdmin itself' ? '' : `, pid ${h.pid}`})` : ''
  return `Port ${port} is in use on ${iface}${by}.`
}
