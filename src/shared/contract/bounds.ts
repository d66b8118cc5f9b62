import { z } from 'zod'

/**
 * Upper bounds of what a client may send (issue 12). Every string and list in a procedure's input is
 * bounded (bounds.test.ts walks the whole contract to prove it), so no input can make a check, a regex
 * or a service do unbounded work. The REST body cap (1 MiB) and the WebSocket message cap sit above these.
 */
export const MAX = {
  /** Deployment, job and container ids (ours are UUIDs, Docker's 64 hex). */
  id: 128,
  /** Hub ids: "org/name" (the Hub allows 96 characters per part). */
  repoId: 200,
  repoPart: 96,
  /** Branch, tag or commit. */
  revision: 200,
  /** Display names, labels, search text. */
  name: 200,
  /** Absolute paths and paths inside a repository. */
  path: 4096,
  /** Image references (registry/repository:tag@digest). */
  image: 512,
  /** URLs (Hub endpoint). */
  url: 2048,
  /** One vLLM argument value (inline JSON or a chat template). */
  argValue: 16_384,
  /** Flags and environment variable names. */
  flag: 200,
  /** Environment variable values. */
  envValue: 4096,
  /** Entries of an args or env map, items of an args list. */
  entries: 256,
  /** Files selected for one pull (large repositories have thousands). */
  files: 20_000,
  /** GPUs of one deployment. */
  gpus: 64,
} as const

/**
 * A string of at most `max` characters. The length is checked first and stops the other checks
 * (regexes, refinements), so a huge string costs one comparison, never a regex run over it.
 */
export function bounded(max: number, message = `at most ${max} characters`): z.ZodString {
  return z.string().max(max, { message, abort: true })
}

/** A record of at most `max` entries (zod has no size check for records). */
export function boundedRecord<K extends z.core.$ZodRecordKey, V extends z.core.SomeType>(key: K, value: V, max: number = MAX.entries) {
  return z.record(key, value).refine((r) => Object.keys(r).length <= max, { message: `at most ${max} entries` })
}
