/** The copyable examples on the Gateway page: curl and the official OpenAI clients pointed at the gateway. */

export type SnippetKind = 'curl' | 'python' | 'javascript'

export interface SnippetInput {
  /** The gateway's OpenAI base URL (ends in /v1). */
  baseUrl: string
  /** A model name the gateway routes (the first one, or a placeholder). */
  model: string
  /** Settings' maximum wait for a load, in minutes: the clients' timeout must outlast it. */
  maxWaitMinutes: number
}

/** What a client without a key of its own puts in place of one (the gateway ignores it from this machine). */
export const KEY_PLACEHOLDER = 'YOUR_GATEWAY_KEY'
const KEY_NOTE = 'a key from below (needed from other machines)'

/**
 * Seconds a client should wait for one attempt: the gateway holds a request up to the maximum wait while the model
 * loads, then the answer still has to come. The openai SDK's default (600 s) is enough for the default 10-minute wait.
 */
export function clientTimeoutSeconds(maxWaitMinutes: number): number {
  return Math.max(600, maxWaitMinutes * 60 + 300)
}

const jsonBody = (model: string): string => JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello!' }] })
/** A string as a single-quoted shell word. */
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

export function snippet(kind: SnippetKind, o: SnippetInput): string {
  const timeout = clientTimeoutSeconds(o.maxWaitMinutes)
  const model = JSON.stringify(o.model)
  const url = JSON.stringify(o.baseUrl)
  if (kind === 'curl')
    return [
      `# ${KEY_NOTE}; a cold model loads first, so allow minutes`,
      `curl --max-time ${timeout} ${shellQuote(`${o.baseUrl}/chat/completions`)} \\`,
      `  -H 'Content-Type: application/json' \\`,
      `  -H 'Authorization: Bearer ${KEY_PLACEHOLDER}' \\`,
      `  -d ${shellQuote(jsonBody(o.model))}`,
    ].join('\n')
  if (kind === 'python')
    return [
      'from openai import OpenAI',
      '',
      'client = OpenAI(',
      `    base_url=${url},`,
      `    api_key="${KEY_PLACEHOLDER}",  # ${KEY_NOTE}`,
      `    timeout=${timeout},  # seconds per attempt: a cold start of a big model takes minutes`,
      '    max_retries=2,',
      ')',
      'reply = client.chat.completions.create(',
      `    model=${model},`,
      '    messages=[{"role": "user", "content": "Hello!"}],',
      ')',
      'print(reply.choices[0].message.content)',
    ].join('\n')
  return [
    "import OpenAI from 'openai'",
    '',
    'const client = new OpenAI({',
    `  baseURL: ${url},`,
    `  apiKey: '${KEY_PLACEHOLDER}', // ${KEY_NOTE}`,
    `  timeout: ${timeout * 1000}, // ms per attempt: a cold start of a big model takes minutes`,
    '  maxRetries: 2,',
    '})',
    'const reply = await client.chat.completions.create({',
    `  model: ${model},`,
    "  messages: [{ role: 'user', content: 'Hello!' }],",
    '})',
    'console.log(reply.choices[0].message.content)',
  ].join('\n')
}

export const SNIPPET_LABEL: Record<SnippetKind, string> = { curl: 'curl', python: 'Python', javascript: 'JavaScript' }
