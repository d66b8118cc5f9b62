// @ts-check
/**
 * The Hub stand-in's catalogue (catalogue.json beside this file): a few dozen well-known repositories with
 * real-looking metadata (pipeline tag, library, downloads, likes, trending score, dates, gating) and files,
 * so browsing and searching look like the real Hub (hf-hub-protocol.md §1.2 model info, §1.8 search).
 *
 * Two kinds of entries:
 * - `files` (path → size): listed only. Model info, tree, paths-info and HEAD answer with these sizes and
 *   stable derived hashes; a download (GET on resolve) is refused with a message naming the downloadable ones.
 * - `seed` (test/sim/seed.js options): downloadable. The files are exactly what `seedModel` writes for the same
 *   options (same bytes, same commit), so a store the demo seeded holds the Hub's copy and is up to date.
 */
import { readFileSync } from 'node:fs'
import { seedFiles } from '../seed.js'
import { declaredContent, zeroTailContent } from './content.js'
import { addCommit, newRepo, SIM_TOKEN } from './repos.js'

/** @typedef {import('./repos.js').Repo} Repo */
/** @typedef {import('./content.js').FileContent} FileContent */
/**
 * @typedef {object} CatalogueEntry
 * @property {string} id
 * @property {string} pipeline_tag
 * @property {string} library_name
 * @property {string[]} tags
 * @property {false | 'auto' | 'manual'} gated
 * @property {number} downloads
 * @property {number} likes
 * @property {number} trendingScore
 * @property {string} createdAt
 * @property {string} lastModified
 * @property {{ parameters: Record<string, number>, total: number }} [safetensors]
 * @property {Record<string, number>} [files]
 * @property {import('../seed.js').SeedOptions} [seed]
 */

/** @returns {CatalogueEntry[]} */
export function catalogueEntries() {
  const file = new URL('./catalogue.json', import.meta.url)
  return /** @type {{ models: CatalogueEntry[] }} */ (JSON.parse(readFileSync(file, 'utf8'))).models
}

/**
 * The downloadable repositories (the `seed` entries) as seed.js options: `seedModel(store, o)` writes the
 * Hub's copy of `o.repo`. @returns {(import('../seed.js').SeedOptions & { repo: string })[]}
 */
export function downloadableSeeds() {
  return catalogueEntries().flatMap((e) => (e.seed ? [{ ...e.seed, repo: e.id }] : []))
}

/**
 * The files of a seeded repository as the Hub serves them: the text files and the weight file (leading bytes,
 * zeros after), under the commit seed.js gives them.
 * @param {import('../seed.js').SeedOptions} seed
 */
export function seededRepoFiles(seed) {
  const f = seedFiles(seed)
  /** @type {Record<string, FileContent | string>} */
  const files = { ...f.textFiles, [f.weight.name]: zeroTailContent(f.weight.prefix, f.weight.size) }
  return { commit: f.commit, files }
}

/** The catalogue as stand-in repositories (one commit on main each). @returns {Repo[]} */
export function catalogueRepos() {
  return catalogueEntries().map((e) => {
    const { files, seed, lastModified, ...meta } = e
    const repo = newRepo({ ...meta, tokens: e.gated ? [SIM_TOKEN] : [] })
    if (seed) {
      const s = seededRepoFiles({ ...seed, repo: e.id })
      addCommit(repo, s.files, { title: 'Initial commit', sha: s.commit, date: lastModified })
    } else {
      /** @type {Record<string, FileContent>} */
      const declared = {}
      for (const [path, size] of Object.entries(files ?? {})) declared[path] = declaredContent(size, e.id, `${e.id}/${path}`)
      addCommit(repo, declared, { title: 'Upload folder using huggingface_hub', date: lastModified })
    }
    return repo
  })
}

/** Why a listed-only file cannot be downloaded, and what can. @param {string} repo */
export function listedOnlyMessage(repo) {
  const ok = downloadableSeeds().map((e) => e.repo)
  return (
    `${repo} is in the simulated Hub's catalogue for browsing only: its files have sizes but no contents. ` +
    `Downloadable here: ${[...ok, 'inferadmin-sim/tiny-chat'].join(', ')}.`
  )
}
