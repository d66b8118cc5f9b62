// @ts-check
/**
 * Builds the simulated Open WebUI images: the shared node runtime layer (images.js) + test/sim/webui, with the
 * real image's port (8080), data directory (/app/backend/data) and a HEALTHCHECK on /health. Tags `main` and
 * two version tags (for "update to a new tag"). On the private engine the repository is the real one,
 * ghcr.io/open-webui/open-webui, so the app's default image works unchanged; on a reused engine (a developer's
 * own dockerd) it is inferadmin-sim/open-webui so a real Open WebUI image there is never overwritten.
 */
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SIM_ROOT } from '../config.js'
import { build, buildRuntimeImage, imageLabels } from '../images.js'

export const REAL_WEBUI_REPOSITORY = 'ghcr.io/open-webui/open-webui'
export const SIM_WEBUI_REPOSITORY = 'inferadmin-sim/open-webui'
/** tag → the version the stand-in reports (GET /api/version). */
export const WEBUI_TAGS = /** @type {const} */ ({ 'v0.6.33': '0.6.33', 'v0.6.34': '0.6.34', main: '0.6.34' })

/**
 * @param {import('dockerode')} docker
 * @param {{repository: string, buildDir: string, log?: (s: string) => void}} o
 * @returns {Promise<{built: string[], reused: string[]}>}
 */
export async function buildWebuiImages(docker, o) {
  const log = o.log ?? (() => {})
  const runtime = await buildRuntimeImage(docker, o.buildDir, log)
  const ctx = join(o.buildDir, 'webui')
  rmSync(ctx, { recursive: true, force: true })
  const dst = join(ctx, 'rootfs/opt/inferadmin-sim/webui')
  mkdirSync(dst, { recursive: true })
  const h = createHash('sha256').update(runtime)
  for (const f of readdirSync(join(SIM_ROOT, 'webui')).filter((f) => f.endsWith('.js') && f !== 'image.js')) {
    copyFileSync(join(SIM_ROOT, 'webui', f), join(dst, f))
    h.update(f).update(readFileSync(join(dst, f)))
  }
  writeFileSync(join(ctx, 'rootfs/opt/inferadmin-sim/package.json'), '{"type":"module"}\n')
  for (const d of ['app/backend/data']) mkdirSync(join(ctx, 'rootfs', d), { recursive: true })
  const codeHash = h.digest('hex').slice(0, 16)
  /** @type {string[]} */
  const built = []
  /** @type {string[]} */
  const reused = []
  for (const [tag, version] of Object.entries(WEBUI_TAGS)) {
    const ref = `${o.repository}:${tag}`
    const hash = `${codeHash}-${version}`
    if ((await imageLabels(docker, ref))?.['inferadmin.sim.hash'] === hash) {
      reused.push(ref)
      continue
    }
    const dockerfile = [
      `FROM ${runtime}`,
      'COPY rootfs/ /',
      `ENV PORT=8080 HOST=0.0.0.0 DATA_DIR=/app/backend/data ENV=prod INFERADMIN_SIM_WEBUI_VERSION=${version}`,
      `LABEL inferadmin.sim="open-webui" inferadmin.sim.hash="${hash}" org.opencontainers.image.version="${version}"`,
      'WORKDIR /app/backend',
      'EXPOSE 8080',
      'HEALTHCHECK --interval=2s --timeout=3s --start-period=60s --retries=3 CMD ["/usr/local/bin/node", "/opt/inferadmin-sim/webui/healthcheck.js"]',
      'ENTRYPOINT ["/usr/local/bin/node", "/opt/inferadmin-sim/webui/server.js"]',
      '',
    ].join('\n')
    writeFileSync(join(ctx, `Dockerfile.${tag}`), dockerfile)
    log(`building ${ref}`)
    await build(docker, ctx, `Dockerfile.${tag}`, ref)
    built.push(ref)
  }
  return { built, reused }
}
