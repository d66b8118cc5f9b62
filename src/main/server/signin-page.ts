import { homedir } from 'node:os'

/** Why a browser got the sign-in page instead of the app. */
export type SignInReason = 'no-session' | 'bad-link'

export interface SignInPageOptions {
  reason: SignInReason
  /** Where server.json is (`~` for the home folder), or null when the server writes none (tests, embedded). */
  serverFile: string | null
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)

/** A path as the person at the machine types it: the home folder as `~`. */
export function displayPath(path: string, home: string = homedir()): string {
  return home && home !== '/' && (path === home || path.startsWith(`${home}/`)) ? `~${path.slice(home.length)}` : path
}

const HEADLINE: Record<SignInReason, string> = {
  'no-session': 'This browser is not signed in',
  'bad-link': 'This sign-in link is no longer valid',
}

const WHY: Record<SignInReason, string> = {
  'no-session':
    'A browser session lasts 30 days from its last use and ends early when the server issues a new token. Sign in again with the link that holds the current token.',
  'bad-link':
    'Its token is not the server’s current one: a new token was issued (<code>inferadmin serve --new-token</code>) or the link was copied incompletely.',
}

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#0a0a0a;--muted:#737373;--card:#fff;--border:#e5e5e5;--code:#f5f5f5;--primary:#171717;--primary-fg:#fafafa}
@media (prefers-color-scheme:dark){:root{--bg:#0a0a0a;--fg:#fafafa;--muted:#a3a3a3;--card:#171717;--border:#ffffff1a;--code:#262626;--primary:#e5e5e5;--primary-fg:#171717}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--fg);
font:14px/1.5 ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;padding:24px}
main{width:100%;max-width:560px;background:var(--card);border:1px solid var(--border);border-radius:14px;padding:28px;box-shadow:0 1px 2px #0000000d}
.brand{display:flex;align-items:center;gap:8px;font-weight:600;color:var(--muted);margin-bottom:16px}
.brand span{display:inline-grid;place-items:center;width:24px;height:24px;border-radius:6px;background:var(--primary);color:var(--primary-fg);font-size:12px}
h1{font-size:20px;margin:0 0 8px}p{margin:0 0 12px;color:var(--muted)}ol{margin:0 0 16px;padding-left:20px}li{margin-bottom:8px}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--code);border-radius:4px;padding:1px 5px;overflow-wrap:anywhere}
form{display:flex;gap:8px;margin-top:4px}label{display:block;font-weight:500;margin-bottom:6px}
input{flex:1;min-width:0;height:36px;border:1px solid var(--border);border-radius:8px;padding:0 10px;background:transparent;color:inherit;font:inherit}
button{height:36px;border:0;border-radius:8px;padding:0 14px;background:var(--primary);color:var(--primary-fg);font:inherit;font-weight:500;cursor:pointer}
`

/**
 * The page a browser gets without a valid session (401): says why, how to get a fresh link on the machine
 * running InferAdmin (the start-up output, server.json, `--new-token`), and takes the token pasted in.
 * Self-contained (inline style, no script), so the CSP and the missing session do not matter.
 */
export function signInPage({ reason, serverFile }: SignInPageOptions): string {
  const file = serverFile ? `<code>${escapeHtml(serverFile)}</code>` : '<code>server.json</code> (in the InferAdmin config folder)'
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Sign in — InferAdmin</title>
<style>${STYLE}</style>
</head>
<body>
<main aria-labelledby="title" data-reason="${reason}">
<div class="brand"><span aria-hidden="true">IA</span>InferAdmin</div>
<h1 id="title">${HEADLINE[reason]}</h1>
<p>${WHY[reason]}</p>
<p>To get a fresh link, on the machine running InferAdmin:</p>
<ol aria-label="How to get a sign-in link">
<li>Look at the output of <code>inferadmin serve</code> (or <code>npm run serve</code>): it prints the link to open, ending in <code>/?token=…</code>.</li>
<li>Or read ${file}: it holds <code>url</code> and <code>token</code>; open <code>&lt;url&gt;/?token=&lt;token&gt;</code>, or paste the token below.</li>
<li>Lost it, or want every browser signed out? Restart with <code>inferadmin serve --new-token</code>: it prints a new link and ends all sessions.</li>
</ol>
<label for="token">Access token</label>
<form method="get" action="/">
<input id="token" name="token" type="password" autocomplete="off" placeholder="Paste the token from server.json" required>
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`
}
