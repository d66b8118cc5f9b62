/**
 * Hostile-input suite (issue 12): every REST route of openapi.json and every WebSocket RPC procedure
 * gets malformed requests (wrong types, missing/extra fields, huge/unicode/control/traversal strings,
 * deep nesting, 10 MB bodies, wrong content types, duplicate keys, out-of-range numbers, broken JSON,
 * foreign Host/Origin, bad credentials). A real headless server runs in a child process over a
 * createTestCore core; Docker and the Hub are tripwires that record every call and answer none.
 * Each malformed request must get a 4xx with the declared error shape within 1 s; no 5xx, no crash,
 * nothing changed outside the server's data directory (a victim directory sits next to it and the
 * store), no Docker call that changes anything, no victim file content in any answer.
 * HOSTILE_SEED repeats a run; HOSTILE_REPORT=<file> writes every finding as JSON; HOSTILE_DEBUG=1 logs the phases.
 */
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Case, Gen } from './hostile/cases'
import { diffSnapshots, dockerTripwire, httpTripwire, makeWorld, ServerProcess, snapshot } from './hostile/harness'
import type { Entry, TripCall, World } from './hostile/harness'
import { describeCase, findingsReport, totalsLine } from './hostile/report'
import { baseCase, casesForOperation, MIN_REJECT, operations, type Op, type OpenApiDoc } from './hostile/rest'
import { judge, Sender, type Finding, type Outcome } from './hostile/runner'
import { Rng } from './hostile/values'
import { procedures, wsCases, type Procedure } from './hostile/ws'

const seed = process.env.HOSTILE_SEED ? Number(process.env.HOSTILE_SEED) : Date.now() % 2 ** 31
const CONCURRENCY = 4

let w: World
let server: ServerProcess
let sender: Sender
const calls: TripCall[] = []
const closers: (() => void)[] = []
let ops: Op[] = []
let restCases: Case[] = []
let socketCases: Case[] = []
let procs: Procedure[] = []
const outcomes = new Map<Case, Outcome>()
let before: Map<string, Entry> | undefined
let escapes: { files: string[]; docker: string[] } | undefined

const findingsOf = (cases: Case[]): Finding[] =>
  cases.flatMap((c) => {
    const o = outcomes.get(c)
    const problem = o ? judge(c, o) : 'not run'
    return problem && o ? [{ problem, case: c, outcome: o }] : []
  })

async function settledJobs(deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs
  for (;;) {
    const res = await fetch(`${server.url}/api/v1/jobs`, { headers: { authorization: `Bearer ${w.token}` } }).catch(() => undefined)
    const jobs = res?.ok ? ((await res.json()) as { state: string }[]) : []
    if (!jobs.some((j) => j.state === 'queued' || j.state === 'running') || Date.now() > until) return
    await new Promise((r) => setTimeout(r, 200))
  }
}

function collectEscapes(): { files: string[]; docker: string[] } {
  escapes ??= {
    files: before ? diffSnapshots(before, snapshot(w)) : [],
    docker: calls.filter((c) => c.service === 'docker' && c.method !== 'GET' && c.method !== 'HEAD').map((c) => `${c.method} ${c.path}`),
  }
  return escapes
}

beforeAll(async () => {
  console.error(`hostile-input seed: ${seed} (HOSTILE_SEED=${seed} repeats this run)`)
  w = makeWorld()
  const docker = await dockerTripwire(join(w.guard, 'docker.sock'), calls)
  const hub = await httpTripwire(calls)
  closers.push(
    () => docker.close(),
    () => hub.server.close(),
  )
  server = new ServerProcess(w, {
    DOCKER_HOST: `unix://${join(w.guard, 'docker.sock')}`,
    HOSTILE_HUB: hub.url,
    HF_ENDPOINT: hub.url,
    INFERADMIN_DOCKER_REGISTRY: hub.url,
    INFERADMIN_DOCKERHUB_API: hub.url,
    INFERADMIN_NVIDIA_SMI: join(w.root, 'no-nvidia-smi'),
  })
  await server.start()
  sender = new Sender(server, w)
  const doc = await (await fetch(`${server.url}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${w.token}` } })).json()
  ops = operations(doc as OpenApiDoc)
  const g: Gen = { rng: new Rng(seed), guard: w.guard, token: w.token }
  // "survive" cases only on GET routes that answer a valid request quickly without a 5xx here.
  const fast = new Set<string>()
  for (const op of ops.filter((o) => o.method === 'GET')) {
    const o = await sender.exec(baseCase(op, g))
    if (!o.error && (o.status ?? 500) < 500 && o.ms < 300) fast.add(op.route)
  }
  restCases = ops.flatMap((op) => casesForOperation(op, g, fast.has(op.route)))
  procs = procedures()
  socketCases = wsCases(g, procs)
  calls.length = 0
  before = snapshot(w)
}, 120_000)

afterAll(async () => {
  if (w && server) {
    const all = [...restCases, ...socketCases]
    const findings = findingsOf(all)
    const serverErrors = findings.filter((f) => ['server error', 'server crashed', 'server hung'].includes(f.problem)).length
    const e = collectEscapes()
    const leaks = findings.filter((f) => f.problem === 'leaked a victim file').length
    const slowest = Math.max(0, ...[...outcomes.values()].map((o) => o.ms))
    if (process.env.HOSTILE_REPORT) {
      const rows = findings.map(({ problem, case: c, outcome: o }) => ({
        problem,
        case: describeCase(c),
        status: o.status,
        error: o.error,
        ms: Math.round(o.ms),
        body: o.body.slice(0, 300),
      }))
      const byKind: Record<string, { n: number; ms: number }> = {}
      for (const [c, o] of outcomes) {
        const k = `${c.transport} ${c.kind}`
        byKind[k] = { n: (byKind[k]?.n ?? 0) + 1, ms: Math.round((byKind[k]?.ms ?? 0) + o.ms) }
      }
      const report = { seed, escapes: e, deaths: sender.deaths, outbound: calls, byKind, findings: rows }
      writeFileSync(process.env.HOSTILE_REPORT, JSON.stringify(report, null, 1))
    }
    console.log(totalsLine(outcomes.size, serverErrors, e.files.length + e.docker.length + leaks, slowest))
  }
  await server?.stop()
  for (const close of closers) close()
  if (w) rmSync(w.guard, { recursive: true, force: true })
}, 60_000)

describe('hostile inputs', () => {
  it(`generates at least ${MIN_REJECT} malformed requests per route of openapi.json, cases for every RPC procedure, 3,000 in all`, () => {
    const perRoute = new Map<string, number>()
    for (const c of restCases) if (c.expect === 'reject') perRoute.set(c.route, (perRoute.get(c.route) ?? 0) + 1)
    expect(ops.length).toBeGreaterThan(0)
    const thin = ops.filter((op) => (perRoute.get(op.route) ?? 0) < MIN_REJECT).map((op) => `${op.route}: ${perRoute.get(op.route) ?? 0}`)
    expect(thin, 'routes without enough generated cases').toEqual([])
    const perProc = new Map<string, number>()
    for (const c of socketCases) if (c.expect === 'reject') perProc.set(c.route, (perProc.get(c.route) ?? 0) + 1)
    const count = (p: Procedure): number => perProc.get(`rpc ${p.name}`) ?? 0
    const thinProcs = procs.filter((p) => count(p) < (p.input ? 10 : 3)).map((p) => `${p.name}: ${count(p)}`)
    expect(thinProcs, 'WebSocket procedures without enough generated cases').toEqual([])
    expect(restCases.length + socketCases.length).toBeGreaterThanOrEqual(3000)
  })

  it('REST: each malformed request gets a 4xx with the declared error shape within 1 s, never a 5xx or a crash', async () => {
    for (const [c, o] of await sender.runAll(restCases, CONCURRENCY)) outcomes.set(c, o)
    const findings = findingsOf(restCases)
    expect(findings.length, `seed ${seed}\n${findingsReport(findings)}`).toBe(0)
  }, 600_000)

  it('WebSocket RPC: invalid calls get a 4xx with the declared error shape, broken frames leave it answering', async () => {
    for (const [c, o] of await sender.runAll(socketCases, CONCURRENCY)) outcomes.set(c, o)
    const findings = findingsOf(socketCases)
    expect(findings.length, `seed ${seed}\n${findingsReport(findings)}`).toBe(0)
  }, 300_000)

  it('leaves the server answering, nothing outside its data directory changed and Docker untouched', async () => {
    expect(await sender.alive(), 'the server answers /api/v1/health afterwards').toBe(true)
    await settledJobs(30_000)
    const e = collectEscapes()
    const restarts = sender.deaths.map((d) => d.replace(/\s+/g, ' ').slice(0, 300))
    expect({ files: e.files.slice(0, 30), docker: e.docker.slice(0, 30), restarts }).toEqual({ files: [], docker: [], restarts: [] })
  }, 60_000)
})
