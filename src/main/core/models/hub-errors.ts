import { AppError } from '../errors'

/** A non-OK answer from the Hub (after retries), with the Hub's X-Error-Code when it sent one. */
export class HubHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly url: string,
  ) {
    super(message)
  }
}

/** The Hub could not be reached (DNS, refused, reset) after retries. */
export class HubUnreachable extends Error {}

/**
 * Turns a Hub failure into an error a user can act on (hf-hub-protocol.md §1.6, §8.14): gated with
 * the access-request link, token missing/invalid, repo or revision not found, unreachable.
 */
export function hubAppError(err: unknown, ctx: { endpoint: string; repo: string; revision?: string; hasToken: boolean }): Error {
  if (err instanceof AppError) return err
  const link = `${ctx.endpoint}/${ctx.repo}`
  const tokenFix = `Create a read token at ${ctx.endpoint}/settings/tokens and set it in Settings → Hugging Face token.`
  if (err instanceof HubUnreachable || (err instanceof TypeError && /fetch failed/.test(err.message)))
    return new AppError('UNAVAILABLE', `Cannot reach the Hugging Face Hub at ${ctx.endpoint}.`, {
      fix: 'Check the network connection, or the Hub endpoint in Settings (HF_ENDPOINT).',
    })
  if (!(err instanceof HubHttpError)) return err instanceof Error ? err : new Error(String(err))
  const { status, code } = err
  if (code === 'GatedRepo') {
    if (!ctx.hasToken)
      return new AppError('FORBIDDEN', `${ctx.repo} is gated: the Hub serves it only to signed-in users who accepted its terms.`, {
        fix: `Request access at ${link}, then set your Hugging Face token in Settings.`,
      })
    return new AppError('FORBIDDEN', `Your Hugging Face token has no access to ${ctx.repo} yet (gated repository).`, {
      fix: `Request access at ${link} with the account the token belongs to, wait for approval, then try again.`,
    })
  }
  if (status === 401 && code !== 'RepoNotFound' && ctx.hasToken)
    return new AppError('FORBIDDEN', 'The Hugging Face token was rejected: it is invalid or has been revoked.', { fix: tokenFix })
  if (code === 'RepoNotFound' || (status === 401 && !ctx.hasToken))
    return new AppError(
      'NOT_FOUND',
      `Repository ${ctx.repo} was not found on ${ctx.endpoint}${ctx.hasToken ? ', or your token has no access to it' : ''}.`,
      {
        fix: ctx.hasToken
          ? 'Check the name (org/name, case matters).'
          : `Check the name; if it is private, ${tokenFix.charAt(0).toLowerCase()}${tokenFix.slice(1)}`,
      },
    )
  if (code === 'RevisionNotFound')
    return new AppError('NOT_FOUND', `Revision "${ctx.revision ?? 'main'}" does not exist in ${ctx.repo}.`, {
      fix: 'Use a branch, tag or full commit of the repository, e.g. main.',
    })
  if (code === 'EntryNotFound')
    return new AppError('NOT_FOUND', `A file of ${ctx.repo} is missing on the Hub: ${err.message}`, {
      fix: 'Pick the files again; the repository changed.',
    })
  if (status === 429)
    return new AppError('UNAVAILABLE', 'The Hugging Face Hub rate limit was reached and retries ran out.', {
      fix: 'Wait a few minutes and resume; a token raises the limit.',
    })
  return new AppError('UNAVAILABLE', `The Hugging Face Hub answered ${status}: ${err.message}`, { fix: 'Try again later.' })
}
