/** Where the renderer is loaded from, and the one test every security decision in the shell uses. */

/** Custom privileged scheme serving the built renderer (`out/renderer`). */
export const APP_SCHEME = 'app'
export const APP_HOST = 'inferadmin'
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/`

export interface AppOrigin {
  /** The URL the main window loads. */
  readonly startUrl: string
  /** True only for URLs of our own renderer (the app scheme, or the dev server in development). */
  isAppUrl(url: string): boolean
}

function parse(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}

/**
 * `devServerUrl` (electron-vite's ELECTRON_RENDERER_URL) is honoured only when the caller says the app is
 * not packaged; a packaged app never trusts an origin taken from the environment.
 */
export function createAppOrigin(devServerUrl?: string): AppOrigin {
  const dev = devServerUrl ? parse(devServerUrl) : null
  if (dev && dev.protocol !== 'http:' && dev.protocol !== 'https:') {
    throw new Error(`ELECTRON_RENDERER_URL must be http(s), got ${dev.protocol}`)
  }
  return {
    startUrl: dev ? dev.href : APP_URL,
    isAppUrl(url: string): boolean {
      const u = parse(url)
      if (!u) return false
      // Non-special schemes have an opaque origin ("null") in WHATWG URL: compare scheme and host.
      if (u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '') return true
      return dev !== null && u.origin === dev.origin
    },
  }
}

/** Links the user may open in the default browser. */
export function isExternalWebUrl(url: string): boolean {
  const u = parse(url)
  return u !== null && (u.protocol === 'https:' || u.protocol === 'http:')
}

/**
 * The URL of one page of the UI (the renderer uses a hash router): `routeUrl('app://inferadmin/', '/models')` is
 * `app://inferadmin/#/models`. Only an absolute app path is accepted, so a route can never leave the app.
 */
export function routeUrl(startUrl: string, route: string): string {
  if (!/^\/[A-Za-z0-9\-._~/?=&%]*$/.test(route) || route.startsWith('//')) {
    throw new Error(`Not a page of the app: ${JSON.stringify(route)} (routes are paths like /models)`)
  }
  return `${startUrl.split('#')[0] ?? startUrl}#${route}`
}
