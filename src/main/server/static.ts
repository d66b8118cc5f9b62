import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname } from 'node:path'
import sirv from 'sirv'

/** A file name with an extension is a file, never a client route: missing, it is a 404, not the app page. */
const HAS_EXTENSION = /[^/]\.[^/]*$/

/**
 * Serves the built renderer (sirv): hashed files under /assets/ are immutable for a year, everything else (index.html)
 * is revalidated on each load (ETag); unknown paths without an extension get index.html (client-side routes). The disk
 * is looked at on every request (sirv's `dev`), so a UI built or rebuilt while the server runs is served as it is now.
 */
export function staticFiles(root: string): (req: IncomingMessage, res: ServerResponse) => void {
  return sirv(root, {
    dev: true,
    etag: true,
    single: true,
    extensions: ['html'],
    ignores: [HAS_EXTENSION],
    setHeaders: (res, pathname) => {
      const hashed = pathname.startsWith('/assets/') && extname(pathname) !== ''
      res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache')
    },
    onNoMatch: (req, res) => {
      if (HAS_EXTENSION.test(new URL(req.url ?? '/', 'http://local').pathname)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
      } else {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('The UI is not built. Run `npm run build`.')
      }
    },
  })
}
