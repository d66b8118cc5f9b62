/**
 * The world the hostile-input suite runs in: a guard directory tree (the server's data dir, the model
 * store, a "victim" directory and HOME side by side, ten levels below the guard), tripwires standing in
 * for Docker and the Hub/registries (they record every call and answer none), the server as a child
 * process, and a file-tree snapshot.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createNetServer, type Server as NetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'

const repoRoot = resolve(import.meta.dirname, '../../..')

export interface World {
  /** The mkdtemp directory everything lives under (the snapshot covers all of it but dataDir). */
  guard: string
  /** guard/g1/…/g10/root */
  root: string
  dataDir: string
  store: string
  victim: string
  home: string
  /** Text planted in every victim file; no response may contain it. */
  canary: string
  token: string
}

export function makeWorld(): World {
  const guard = mkdtempSync(join(tmpdir(), 'inferadmin-hostile-'))
  const root = join(guard, ...Array.from({ length: 10 }, (_, i) => `g${i + 1}`), 'root')
  const w: World = {
    guard,
    root,
    dataDir: join(root, 'data'),
    store: join(root, 'store'),
    victim: join(root, 'victim'),
    home: join(root, 'home'),
    canary: `CANARY-${randomBytes(8).toString('hex')}`,
    token: randomBytes(24).toString('base64url'),
  }
  for (const d of [w.dataDir, w.store, w.victim, w.home, join(root, 'cwd'), join(root, 'tmp')]) mkdirSync(d, { recursive: true })
  // Targets the traversal strings aim at, at several depths around the store.
  for (const dir of [w.victim, join(w.store, 'victim'), join(root, 'g-victim'), join(guard, 'victim'), join(guard, 'g1', 'g2', 'victim')]) {
    mkdirSync(join(dir, 'nested'), { recursive: true })
    writeFileSync(join(dir, 'secret.txt'), `${w.canary}\n`)
    writeFileSync(join(dir, 'nested', 'config.json'), JSON.stringify({ canary: w.canary }))
  }
  symlinkSync(w.victim, join(w.store, 'link-to-victim'))
  // A model in the store (HF cache layout), so routes that scan the store have something to scan.
  const model = join(w.store, 'models--hostile-seed--model')
  const commit = 'a'.repeat(40)
  mkdirSync(join(model, 'blobs'), { recursive: true })
  mkdirSync(join(model, 'refs'), { recursive: true })
  mkdirSync(join(model, 'snapshots', commit), { recursive: true })
  const blob = createHash('sha256').update('{}').digest('hex')
  writeFileSync(join(model, 'blobs', blob), '{}')
  writeFileSync(join(model, 'refs', 'main'), commit)
  symlinkSync(`../../blobs/${blob}`, join(model, 'snapshots', commit, 'config.json'))
  return w
}

export interface Entry {
  type: string
  size: number
  mode: number
  mtimeMs: number
  hash?: string
  link?: string
}

/** Every entry below the guard except the data directory (type, size, mode, mtime, content hash, link target). */
export function snapshot(w: World): Map<string, Entry> {
  const out = new Map<string, Entry>()
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name)
      if (full === w.dataDir) continue
      const st = lstatSync(full)
      const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : st.isFile() ? 'file' : 'other'
      const e: Entry = { type, size: type === 'dir' ? 0 : st.size, mode: st.mode, mtimeMs: Math.floor(st.mtimeMs) }
      if (type === 'file' && st.size <= 1 << 20) e.hash = createHash('sha256').update(readFileSync(full)).digest('hex')
      if (type === 'link') e.link = readlinkSync(full)
      out.set(full.slice(w.guard.length), e)
      if (type === 'dir') walk(full)
    }
  }
  walk(w.guard)
  return out
}

export function diffSnapshots(a: Map<string, Entry>, b: Map<string, Entry>): string[] {
  const out: string[] = []
  for (const [p, e] of a) {
    const f = b.get(p)
    if (!f) out.push(`removed ${p}`)
    else if (JSON.stringify(e) !== JSON.stringify(f)) out.push(`changed ${p}`)
  }
  for (const p of b.keys()) if (!a.has(p)) out.push(`created ${p}`)
  return out.sort()
}

export interface TripCall {
  service: string
  method: string
  path: string
}

/** A Docker endpoint that records each call and closes the connection (Docker is unreachable). */
export async function dockerTripwire(socketPath: string, calls: TripCall[]): Promise<NetServer> {
  const server = createNetServer((sock) => {
    let head = ''
    sock.on('data', (d: Buffer) => {
      head += d.toString('latin1')
      if (head.includes('\r\n')) {
        const [method = '?', path = '?'] = head.split('\r\n')[0]?.split(' ') ?? []
        calls.push({ service: 'docker', method, path })
        sock.destroy()
      }
    })
    sock.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(socketPath, r))
  return server
}

/**
 * The Hub and the registries: records each call and answers 501 at once, which the app neither retries
 * nor turns into a 4xx: a request that reaches them comes back as a 5xx, not as a slow or "not found" answer.
 */
export async function httpTripwire(calls: TripCall[]): Promise<{ server: HttpServer; url: string }> {
  const server = createHttpServer((req, res) => {
    calls.push({ service: 'hub/registry', method: req.method ?? '?', path: (req.url ?? '').slice(0, 200) })
    req.resume()
    res.writeHead(501, { 'content-type': 'application/json', connection: 'close' }).end('{"error":"hostile-input suite: no network"}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const addr = server.address() as { port: number }
  return { server, url: `http://127.0.0.1:${addr.port}` }
}

/** The headless server in a child process (test/headless/hostile/serve.ts), restartable. */
export class ServerProcess {
  url = ''
  port = 0
  private child: ChildProcess | undefined
  stderr = ''
  /** Set when the child exits without being asked to. */
  crashed: string | undefined
  starts = 0

  constructor(
    private readonly w: World,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    this.crashed = undefined
    this.stderr = ''
    this.starts++
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
    const child = spawn(process.execPath, ['--import', tsx, join(repoRoot, 'test/headless/hostile/serve.ts')], {
      cwd: join(this.w.root, 'cwd'),
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: this.w.home,
        TMPDIR: join(this.w.root, 'tmp'),
        // tsx would cache compiled files in TMPDIR, which the snapshot watches.
        TSX_DISABLE_CACHE: '1',
        XDG_CONFIG_HOME: join(this.w.home, '.config'),
        XDG_DATA_HOME: join(this.w.home, '.local/share'),
        HOSTILE_DATA_DIR: this.w.dataDir,
        HOSTILE_STORE: this.w.store,
        HOSTILE_TOKEN: this.w.token,
        ...this.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    this.child = child
    child.stderr?.on('data', (d: Buffer) => {
      if (this.stderr.length < 20_000) this.stderr += d.toString()
    })
    child.once('exit', (code, signal) => {
      if (this.child !== child) return
      const why = this.stderr
        .split('\n')
        .filter((l) => /Error\b|code: '|Emitted 'error'/.test(l))
        .slice(-4)
      const text = why.map((l) => l.trim()).join(' | ') || this.stderr.slice(-300)
      this.crashed = `server process exited (${signal ?? `code ${code}`}): ${text}`
    })
    this.url = await new Promise<string>((res, rej) => {
      const lines = createInterface({ input: child.stdout! })
      const timer = setTimeout(() => rej(new Error(`server did not start within 60 s: ${this.stderr.slice(-2000)}`)), 60_000)
      lines.on('line', (line) => {
        if (!line.startsWith('{')) return
        clearTimeout(timer)
        res((JSON.parse(line) as { url: string }).url)
      })
      child.once('exit', () => rej(new Error(`server exited before listening: ${this.stderr.slice(-2000)}`)))
    })
    this.port = Number(new URL(this.url).port)
  }

  /** Kills the child (SIGKILL when `hard`, else SIGTERM with a 5 s deadline) and waits for it to exit. */
  async stop(hard = false): Promise<void> {
    const child = this.child
    this.child = undefined
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    child.kill(hard ? 'SIGKILL' : 'SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}
