// @ts-check
/**
 * Builds the simulated vLLM images with dockerode (no registry is reachable): a runtime layer `FROM scratch`
 * with this host's node binary, its shared libraries (from `ldd`) and the dynamic loader, then one image per
 * tag (vllm-facts §4: `vX.Y.Z`, `latest` = newest release, `nightly`) with the simulation code, that
 * version's ENTRYPOINT (vllm-facts §1.3), ENV like the real image (§2) and a HEALTHCHECK against /health.
 * Builds are skipped when an image with the same content hash exists.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { RUNTIME_REPOSITORY, SIM_ROOT, VLLM_TAGS } from './config.js'
import { versionInfo } from './vllm/versions.js'

/** @typedef {import('dockerode')} Docker */

/**
 * @param {Docker} docker
 * @param {string} context directory
 * @param {string} dockerfile name inside the context
 * @param {string} tag
 */
export async function build(docker, context, dockerfile, tag) {
  const stream = await docker.buildImage({ context, src: readdirSync(context) }, { t: tag, dockerfile, rm: true, forcerm: true })
  /** @type {any[]} */
  const events = await new Promise((res, rej) => docker.modem.followProgress(stream, (err, out) => (err ? rej(err) : res(out))))
  const failed = events.find((e) => e.error || e.errorDetail)
  if (failed) throw new Error(`building ${tag} failed: ${failed.error ?? failed.errorDetail?.message}`)
}

/** @param {Docker} docker @param {string} ref */
export async function imageLabels(docker, ref) {
  try {
    const info = await docker.getImage(ref).inspect()
    return /** @type {Record<string, string>} */ (info.Config?.Labels ?? {})
  } catch {
    return null
  }
}

/** Files node needs: itself, its libraries and the loader, as ldd reports them. */
function runtimeFiles() {
  const node = realpathSync(process.execPath)
  /** @type {string[]} */
  const libs = []
  for (const line of execFileSync('ldd', [node], { encoding: 'utf8' }).split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line)
    if (m?.[1]) libs.push(m[1])
  }
  return { node, libs }
}

/**
 * @param {Docker} docker
 * @param {string} buildDir
 * @param {(s: string) => void} log
 * @returns {Promise<string>} the runtime image reference
 */
export async function buildRuntimeImage(docker, buildDir, log) {
  const { node, libs } = runtimeFiles()
  const h = createHash('sha256').update(process.version)
  for (const f of [node, ...libs]) {
    const st = statSync(f)
    h.update(`${f}:${st.size}:${st.mtimeMs}\n`)
  }
  const ref = `${RUNTIME_REPOSITORY}:${h.digest('hex').slice(0, 12)}`
  if (await imageLabels(docker, ref)) return ref
  const ctx = join(buildDir, 'runtime')
  rmSync(ctx, { recursive: true, force: true })
  const root = join(ctx, 'rootfs')
  /** @param {string} src @param {string} dst */
  const put = (src, dst) => {
    mkdirSync(dirname(join(root, dst)), { recursive: true })
    copyFileSync(realpathSync(src), join(root, dst))
    chmodSync(join(root, dst), statSync(realpathSync(src)).mode & 0o777)
  }
  put(node, '/usr/local/bin/node')
  for (const lib of libs) put(lib, lib)
  mkdirSync(join(root, 'etc'), { recursive: true })
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n')
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n')
  for (const d of ['tmp', 'root', 'run']) mkdirSync(join(root, d), { recursive: true })
  chmodSync(join(root, 'tmp'), 0o1777)
  writeFileSync(
    join(ctx, 'Dockerfile'),
    'FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root\n',
  )
  log(`building ${ref} (node ${process.version} + ${libs.length} libraries)`)
  await build(docker, ctx, 'Dockerfile', ref)
  return ref
}

/** The simulation code copied into /opt/inferadmin-sim of the vLLM images. */
function simSources() {
  /** @type {string[]} */
  const files = ['config.js']
  for (const dir of ['gpus', 'vllm', 'vllm/data']) {
    for (const f of readdirSync(join(SIM_ROOT, dir))) {
      if ((f.endsWith('.js') || f.endsWith('.json')) && f !== 'gen-serve-args.js') files.push(`${dir}/${f}`)
    }
  }
  return files
}

/** @param {string} module entrypoint.js export @param {string} arg */
const launcher = (module, arg) => `#!/usr/local/bin/node\nimport('/opt/inferadmin-sim/vllm/${module}').then((m) => m.cli('${arg}'))\n`

/**
 * Build (or reuse) every simulated vLLM image.
 * @param {Docker} docker
 * @param {{repository: string, buildDir: string, tags?: readonly string[], log?: (s: string) => void}} o
 * @returns {Promise<{runtime: string, built: string[], reused: string[], seconds: number}>}
 */
export async function buildVllmImages(docker, o) {
  const t0 = Date.now()
  const log = o.log ?? (() => {})
  const tags = o.tags ?? VLLM_TAGS
  const runtime = await buildRuntimeImage(docker, o.buildDir, log)
  const ctx = join(o.buildDir, 'vllm')
  rmSync(ctx, { recursive: true, force: true })
  const root = join(ctx, 'rootfs')
  const h = createHash('sha256').update(runtime)
  for (const f of simSources()) {
    const dst = join(root, 'opt/inferadmin-sim', f)
    mkdirSync(dirname(dst), { recursive: true })
    copyFileSync(join(SIM_ROOT, f), dst)
    h.update(f).update(readFileSync(dst))
  }
  writeFileSync(join(root, 'opt/inferadmin-sim/package.json'), '{"type":"module"}\n')
  for (const [path, text] of /** @type {const} */ ([
    ['usr/local/bin/vllm', launcher('entrypoint.js', 'vllm')],
    ['usr/bin/python3', launcher('entrypoint.js', 'python3')],
  ])) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text, { mode: 0o755 })
    h.update(text)
  }
  for (const d of ['run/inferadmin-sim-gpus', 'run/inferadmin-sim', 'vllm-workspace']) mkdirSync(join(root, d), { recursive: true })
  const codeHash = h.digest('hex').slice(0, 16)
  /** @type {string[]} */
  const built = []
  /** @type {string[]} */
  const reused = []
  for (const tag of tags) {
    if (tag === 'latest') continue // tagged from the newest release below
    const v = versionInfo(tag)
    const hash = `${codeHash}-${tag}`
    const ref = `${o.repository}:${tag}`
    if ((await imageLabels(docker, ref))?.['inferadmin.sim.hash'] === hash) {
      reused.push(ref)
      continue
    }
    const entry = v.entrypoint === 'serve' ? '["vllm", "serve"]' : '["python3", "-m", "vllm.entrypoints.openai.api_server"]'
    const env = [
      'NVIDIA_VISIBLE_DEVICES=all',
      'NVIDIA_DRIVER_CAPABILITIES=compute,utility',
      'VLLM_USAGE_SOURCE=production-docker-image',
      `INFERADMIN_SIM_VLLM_TAG=${tag}`,
      ...(v.imageTag ? [`VLLM_IMAGE_TAG=${tag}`] : []),
    ]
    const labels = [
      `inferadmin.sim=vllm`,
      `inferadmin.sim.hash=${hash}`,
      ...(v.imageTag ? [`org.opencontainers.image.version=${v.version}`, `ai.vllm.image.tag=${tag}`] : []),
    ]
    const dockerfile = [
      `FROM ${runtime}`,
      'COPY rootfs/ /',
      `ENV ${env.join(' ')}`,
      `LABEL ${labels.map((l) => l.replace(/=(.*)$/, '="$1"')).join(' ')}`,
      'WORKDIR /vllm-workspace',
      'HEALTHCHECK --interval=2s --timeout=3s --start-period=600s --retries=3 CMD ["/usr/local/bin/node", "/opt/inferadmin-sim/vllm/healthcheck.js"]',
      `ENTRYPOINT ${entry}`,
      '',
    ].join('\n')
    writeFileSync(join(ctx, `Dockerfile.${tag}`), dockerfile)
    log(`building ${ref}`)
    await build(docker, ctx, `Dockerfile.${tag}`, ref)
    built.push(ref)
  }
  if (tags.includes('latest')) {
    const newest = [...tags].filter((t) => /^v\d/.test(t)).pop()
    if (newest) {
      await docker.getImage(`${o.repository}:${newest}`).tag({ repo: o.repository, tag: 'latest' })
      ;(built.includes(`${o.repository}:${newest}`) ? built : reused).push(`${o.repository}:latest`)
    }
  }
  return { runtime, built, reused, seconds: (Date.now() - t0) / 1000 }
}
