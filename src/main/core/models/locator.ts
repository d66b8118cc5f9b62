import { bodyText, discard } from './http-body'
import { httpGet, type HttpResponse } from './http-get'
import { HubHttpError } from './hub-errors'

export interface LocatorSpec {
  path: string
  size: number
}

export interface LocatorOptions {
  endpoint: string
  token?: string
  repo: string
  commit: string
}

/** A status worth another try (429, 5xx, a refused CDN signature, a wrong range). */
export class RetryableStatus extends Error {
  constructor(readonly res: HttpResponse) {
    super(`HTTP ${res.status}`)
  }
}

/**
 * Where a file's bytes come from: resolve/<commit>/<path> on the Hub, following redirects by hand
 * so Authorization goes only to the Hub's origin; the CDN location of LFS files is reused for the
 * other ranges and dropped (re-resolved) when the CDN refuses it (expired signature).
 */
export class Locator {
  private cdn?: string
  private readonly hubOrigin: string
  private readonly resolveUrl: string

  constructor(
    private readonly spec: LocatorSpec,
    private readonly o: LocatorOptions,
  ) {
    this.hubOrigin = new URL(o.endpoint).origin
    const path = spec.path.split('/').map(encodeURIComponent).join('/')
    this.resolveUrl = `${o.endpoint}/${o.repo}/resolve/${o.commit}/${path}`
  }

  async open(from: number, end: number, signal: AbortSignal): Promise<HttpResponse> {
    let url = this.cdn ?? this.resolveUrl
    for (let hop = 0; hop < 6; hop++) {
      const sameOrigin = new URL(url).origin === this.hubOrigin
      const headers: Record<string, string> = { 'accept-encoding': 'identity' }
      if (this.spec.size > 0) headers.range = `bytes=${from}-${end - 1}`
      if (sameOrigin && this.o.token) headers.authorization = `Bearer ${this.o.token}`
      const res = await httpGet(url, headers, signal)
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        discard(res)
        const linked = res.headers.get('x-linked-size')
        if (linked !== null && Number(linked) !== this.spec.size)
          throw new HubHttpError(
            409,
            'SizeMismatch',
            `${this.spec.path}: the Hub reports ${linked} bytes, the file list ${this.spec.size}`,
            url,
          )
        const next = new URL(res.headers.get('location') as string, url).href
        if (!/^https?:$/.test(new URL(next).protocol))
          throw new HubHttpError(502, undefined, `${this.spec.path}: the Hub redirected to a non-http(s) address ${next.slice(0, 60)}`, url)
        if (new URL(next).origin !== this.hubOrigin) this.cdn = next
        url = next
        continue
      }
      if (this.cdn && url === this.cdn && (res.status === 403 || res.status === 400 || res.status === 410)) {
        discard(res)
        this.cdn = undefined // signature expired or refused: resolve again on the next try
        throw new RetryableStatus(res)
      }
      return res
    }
    throw new HubHttpError(508, undefined, `too many redirects for ${this.spec.path}`, url)
  }
}

export async function httpError(res: HttpResponse): Promise<HubHttpError> {
  const text = await bodyText(res).catch(() => '')
  return new HubHttpError(
    res.status,
    res.headers.get('x-error-code') ?? undefined,
    res.headers.get('x-error-message') ?? (text.slice(0, 200) || `HTTP ${res.status}`),
    res.url,
  )
}
