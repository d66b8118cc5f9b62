import { AppError } from '../errors'

/** What to do when the Docker engine does not answer. */
export const DOCKER_FIX = 'Start Docker, or check the Docker endpoint in Settings.'

/** The one wording of "Docker is not reachable", with why (an error's message, or a sentence fragment). */
export function dockerUnreachableText(why: unknown): string {
  return `Docker is not reachable: ${why instanceof Error ? why.message : String(why)}`
}

/** The declared error for a Docker call that got no answer: UNAVAILABLE, the message and the fix. */
export function dockerUnreachable(err: unknown, fix = DOCKER_FIX): AppError {
  return new AppError('UNAVAILABLE', dockerUnreachableText(err), { fix }, { cause: err })
}
