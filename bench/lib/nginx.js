// @ts-check
// nginx as the reference reverse proxy of bench/gateway.js: Debian's binary, a config generated into a temporary
// directory (its own prefix, pid file, error log and temp paths), run in the foreground and stopped by its PID.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

/** The nginx binary on PATH (or Debian's /usr/sbin, often not on a user's PATH), null when not installed. */
export function findNginx() {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin']
  return dirs.map((d) => join(d, 'nginx')).find((p) => existsSync(p)) ?? null
}

/**
 * The config (pure): one worker (the gateway is one event loop too), no access log, an upstream pool of keep-alive
 * connections (HTTP/1.1 with the Connection header cleared, as nginx's docs require for it), responses unbuffered
 * so SSE tokens pass at once.
 * @param {{ dir: string, listenPort: number, upstream: string }} o upstream: host:port
 */
export function nginxConf(o) {
  return `worker_processes 1;
pid ${o.dir}/nginx.pid;
error_log ${o.dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${o.dir}/client_body;
  proxy_temp_path ${o.dir}/proxy;
  fastcgi_temp_path ${o.dir}/fastcgi;
  uwsgi_temp_path ${o.dir}/uwsgi;
  scgi_temp_path ${o.dir}/scgi;
  upstream backend {
    server ${o.upstream};
    keepalive 128;
    keepalive_requests 100000;
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:${o.listenPort};
    keepalive_requests 100000;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`
}

/** A port free now (nginx cannot be told to pick one and say which). @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = /** @type {import('node:net').AddressInfo} */ (s.address()).port
      s.close(() => resolve(port))
    })
  })
}

/** @param {number} port */
const accepts = (port) =>
  new Promise((resolve) => {
    const c = createConnection(port, '127.0.0.1')
    c.once('connect', () => (c.destroy(), resolve(true)))
    c.once('error', () => resolve(false))
  })

/**
 * Start nginx in front of `upstream` (http://host:port).
 * @param {string} bin @param {string} upstream
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
export async function startNginx(bin, upstream) {
  const dir = mkdtempSync(join(tmpdir(), 'inferadmin-bench-nginx-'))
  const listenPort = await freePort()
  const conf = join(dir, 'nginx.conf')
  writeFileSync(conf, nginxConf({ dir, listenPort, upstream: new URL(upstream).host }))
  const proc = spawn(bin, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  proc.stderr?.on('data', (d) => (stderr += d))
  const exited = new Promise((r) => proc.once('exit', (code) => r(code)))
  const log = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8').trim() : '')
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM') // nginx's fast shutdown, by its PID
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  // nginx says nothing when it is up: wait (at most 5 s) for its port to accept, or for it to exit
  const deadline = Date.now() + 5000
  while (!(await accepts(listenPort))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      const why = `${stderr.trim()} ${log()}`.trim() || `exit code ${proc.exitCode}`
      await stop()
      throw new Error(`nginx did not start: ${why}`)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  return { url: `http://127.0.0.1:${listenPort}`, stop }
}
