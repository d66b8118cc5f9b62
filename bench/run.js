#!/usr/bin/env node
// @ts-check
// Runs every bench/*.js (except this file) in its own process and prints ONE JSON summary:
// { "<name>": <the JSON line the bench printed> | { "error": "…" } }.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dir = dirname(fileURLToPath(import.meta.url))
const only = process.argv.slice(2)
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.js') && f !== 'run.js')
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.js$/, '')))
  .sort()

/** @type {Record<string, unknown>} */
const summary = {}
for (const file of benches) {
  const name = file.replace(/\.js$/, '')
  summary[name] = await new Promise((resolve) => {
    const p = spawn(process.execPath, [join(dir, file)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (d) => (out += d))
    p.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? ''
      try {
        resolve(code === 0 ? JSON.parse(last) : { error: `exited with ${code}`, output: last })
      } catch {
        resolve({ error: 'did not print JSON', output: last })
      }
    })
  })
}
process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
