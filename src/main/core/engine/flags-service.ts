import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import type { ArgProblem, ArgValue, FlagCatalogView, FlagInfo } from '../../../shared/contract/deployments'
import { demuxText } from '../docker/frames'
import { BUNDLED_LABEL, bundledFlag, bundledFlags } from './flags-bundled'
import { parseArgparseHelp, type ParsedFlag } from './flags-help'
import { validateArgs } from './flags-validate'

export type FlagCatalog = FlagCatalogView

const HELP_TIMEOUT_MS = 90_000
const CACHE_VERSION = 1

/** Fill what the help text cannot say (types of None-default flags, numeric bounds) from the bundled list. */
function enrich(parsed: ParsedFlag[]): FlagInfo[] {
  return parsed.map(({ typeGuessed, ...f }) => {
    const b = bundledFlag(f.flag)
    if (!b) return f
    const sameKind = (f.type === 'bool') === (b.type === 'bool')
    return {
      ...f,
      type: typeGuessed && sameKind ? b.type : f.type,
      min: b.min,
      max: b.max,
      minExclusive: b.minExclusive,
    }
  })
}

/**
 * Per-image vLLM flags: `--help=all` run once per image digest in a short-lived container without GPU or
 * network (`--help` for ≤ v0.11 images whose api_server.py rejects `=all`), parsed and cached under
 * dataDir/engine-flags; the bundled list when the image is missing or its help cannot be read.
 */
export class FlagCatalogService {
  private readonly memo = new Map<string, Promise<FlagCatalog>>()
  private readonly dir: string

  constructor(private readonly o: { docker: () => Dockerode; dataDir: string; logger: Logger }) {
    this.dir = join(o.dataDir, 'engine-flags')
  }

  bundled(image: string, note: string | null, digest: string | null = null): FlagCatalog {
    return { image, digest, source: 'bundled', note: note ? `${note} Using the ${BUNDLED_LABEL}.` : BUNDLED_LABEL, flags: bundledFlags() }
  }

  /** The flags of `image` (repository:tag or id). Never throws: falls back to the bundled list with a note. */
  async forImage(image: string, signal?: AbortSignal): Promise<FlagCatalog> {
    let digest: string
    try {
      digest = (await this.o.docker().getImage(image).inspect()).Id
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode
      return this.bundled(
        image,
        status === 404 ? `${image} is not pulled yet.` : `Docker could not be asked about ${image} (${(err as Error).message}).`,
      )
    }
    const key = digest
    let p = this.memo.get(key)
    if (!p) {
      p = this.load(image, digest, signal)
      this.memo.set(key, p)
      p.then(
        (c) => c.source === 'bundled' && this.memo.delete(key),
        () => this.memo.delete(key),
      )
    }
    const c = await p
    return { ...c, image }
  }

  /** validateArgs against the image's flags. */
  async validate(image: string, args: Record<string, ArgValue>, extraArgs = ''): Promise<{ problems: ArgProblem[]; catalog: FlagCatalog }> {
    const catalog = await this.forImage(image)
    return { problems: validateArgs(catalog.flags, args, extraArgs, image), catalog }
  }

  private cacheFile(digest: string): string {
    return join(this.dir, `${digest.replace(/[^A-Za-z0-9]/g, '_')}.json`)
  }

  private async load(image: string, digest: string, signal?: AbortSignal): Promise<FlagCatalog> {
    try {
      const cached = JSON.parse(await readFile(this.cacheFile(digest), 'utf8')) as { v: number; flags: FlagInfo[] }
      if (cached.v === CACHE_VERSION && Array.isArray(cached.flags))
        return { image, digest, source: 'image', note: null, flags: cached.flags }
    } catch {
      /* not cached yet */
    }
    try {
      let text = await this.runHelp(image, ['--help=all'], signal)
      let parsed: ParsedFlag[]
      try {
        parsed = parseArgparseHelp(text.out)
      } catch {
        // ≤ v0.11 (python3 -m vllm.entrypoints.openai.api_server): plain argparse, --help lists everything.
        text = await this.runHelp(image, ['--help'], signal)
        parsed = parseArgparseHelp(text.out)
      }
      const flags = enrich(parsed)
      await mkdir(this.dir, { recursive: true })
      const file = this.cacheFile(digest)
      await writeFile(`${file}.tmp`, JSON.stringify({ v: CACHE_VERSION, image, flags }))
      await rename(`${file}.tmp`, file)
      this.o.logger.info({ image, digest, flags: flags.length }, 'read vLLM flags from the image')
      return { image, digest, source: 'image', note: null, flags }
    } catch (err) {
      this.o.logger.warn({ err, image }, 'could not read the flags of the image; using the bundled list')
      return this.bundled(image, `Could not read the flags of ${image} (${(err as Error).message.split('\n')[0]}).`, digest)
    }
  }

  private async runHelp(image: string, cmd: string[], signal?: AbortSignal): Promise<{ out: string; code: number }> {
    const docker = this.o.docker()
    const c = await docker.createContainer({
      Image: image,
      Cmd: cmd,
      Env: ['VLLM_DISABLE_LOG_LOGO=1', 'HF_HUB_OFFLINE=1'],
      Labels: { 'inferadmin.managed': 'true', 'inferadmin.kind': 'flags' },
      HostConfig: { NetworkMode: 'none', AutoRemove: false },
    })
    const timer = setTimeout(() => void c.kill().catch(() => undefined), HELP_TIMEOUT_MS)
    const onAbort = (): void => void c.kill().catch(() => undefined)
    signal?.addEventListener('abort', onAbort)
    try {
      await c.start()
      const r = (await c.wait()) as { StatusCode: number }
      const raw = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer
      return { out: demuxText(raw), code: r.StatusCode }
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      await c.remove({ force: true }).catch(() => undefined)
    }
  }
}

/** The engine's pure flag helpers other domains use with a catalog (argv for a container, checks, word splitting). */
export { splitWords, toArgv, validateArgs } from './flags-validate'
