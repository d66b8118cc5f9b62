import type { Settings } from '../../../shared/settings'

/** The Hub InferAdmin talks to: Settings.hubEndpoint, else HF_ENDPOINT, else https://huggingface.co (no trailing /). */
export function hubUrl(s: Pick<Settings, 'hubEndpoint'>, env: NodeJS.ProcessEnv): string {
  return (s.hubEndpoint || env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '')
}

/** Its origin (scheme://host[:port]): the Hugging Face token is kept per origin and sent only there. */
export function hubOrigin(s: Pick<Settings, 'hubEndpoint'>, env: NodeJS.ProcessEnv): string {
  const url = hubUrl(s, env)
  try {
    return new URL(url).origin
  } catch {
    // HF_ENDPOINT is not validated like the setting; an unparsable one still gets a scope of its own.
    return url
  }
}
