import { isContractProcedure } from '@orpc/contract'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { contract } from './index'
import { engineContract } from './engine'
import { EMAIL_PATTERN, WebuiAccountInput } from './webui'

type Json = Record<string, unknown>

/** Every procedure of the contract with its input schema, named "domain.procedure". */
function procedures(): { name: string; input: z.ZodType }[] {
  const out: { name: string; input: z.ZodType }[] = []
  for (const [domain, procs] of Object.entries(contract)) {
    for (const [name, proc] of Object.entries(procs)) {
      if (!isContractProcedure(proc)) continue
      const input = proc['~orpc'].inputSchema
      if (input) out.push({ name: `${domain}.${name}`, input: input as z.ZodType })
    }
  }
  return out
}

const inputJsonSchema = (schema: z.ZodType): Json => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json

/** Walks a JSON Schema, calling `visit` with each subschema and its path. */
function walk(node: unknown, path: string, visit: (n: Json, path: string) => void): void {
  if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}[${i}]`, visit))
  if (!node || typeof node !== 'object') return
  const n = node as Json
  visit(n, path)
  for (const [k, v] of Object.entries(n)) if (typeof v === 'object') walk(v, `${path}/${k}`, visit)
}

const types = (n: Json): unknown[] => (Array.isArray(n.type) ? n.type : [n.type])

describe('contract input bounds', () => {
  it('covers the procedures that take input', () => {
    const names = procedures().map((p) => p.name)
    const expected = ['settings.update', 'models.pull', 'deployments.create', 'deployments.importYaml', 'webui.createAccount']
    expect(names).toEqual(expect.arrayContaining(expected))
  })

  it('gives every string a maximum length and every list a maximum size', () => {
    const unbounded: string[] = []
    for (const { name, input } of procedures()) {
      walk(inputJsonSchema(input), name, (n, path) => {
        const fixed = 'enum' in n || 'const' in n
        if (types(n).includes('string') && !fixed && typeof n.maxLength !== 'number') unbounded.push(`${path} (string)`)
        if (types(n).includes('array') && typeof n.maxItems !== 'number') unbounded.push(`${path} (array)`)
      })
    }
    expect(unbounded).toEqual([])
  })

  it('refuses a string over the bound before running its regex or refinements', () => {
    const huge = 'a@' + '.'.repeat(100_000) + '@'
    const r = WebuiAccountInput.safeParse({ name: 'x', email: huge, password: 'correct horse' })
    expect(r.success).toBe(false)
    expect(r.error?.issues).toEqual([expect.objectContaining({ path: ['email'], code: 'too_big', maximum: 254 })])
  })
})

/** A flat copy of a concatenated string (V8 would otherwise flatten it inside the first regex run). */
const flat = (s: string): string => JSON.parse(JSON.stringify(s)) as string

/** Inputs built to make a backtracking regex try every split: a pumped middle and an ending that fails. */
function hostileInputs(length: number): string[] {
  const prefixes = ['', 'a', 'a@', 'a@a', '--a', 'GPU-', 'sha256:', 'a/', 'a:1/', 'hf_']
  const pumps = ['a', '.', 'a.', '.a', '-', 'a-', '/', 'a/', ':', '0', '_', ' ', '@', 'a@', '--', 'a.-', 'a:', '0:']
  const suffixes = ['!', '@', ' ', '\n', '$', '..']
  const out: string[] = []
  for (const pre of prefixes) {
    for (const pump of pumps) {
      const middle = pump.repeat(Math.ceil(length / pump.length)).slice(0, length)
      // Flat copies: timing a concatenated string would also time V8 flattening it.
      for (const suf of suffixes) out.push(flat(pre + middle + suf))
    }
  }
  return out
}

/** Best of three runs of `re` on `s`, in ms (a GC pause is not the regex's doing; backtracking repeats every run). */
function timeTest(re: RegExp, s: string): number {
  let best = Infinity
  for (let i = 0; i < 3; i++) {
    const t = performance.now()
    re.test(s)
    best = Math.min(best, performance.now() - t)
  }
  return best
}

/** Slowest input for `re`, in ms. */
function slowest(re: RegExp, inputs: string[]): number {
  return Math.max(...inputs.map((s) => timeTest(re, s)))
}

describe('regexes on user input run in linear time', () => {
  const patterns = new Map<string, string>()
  for (const { name, input } of procedures()) {
    walk(inputJsonSchema(input), name, (n, path) => {
      if (typeof n.pattern === 'string') patterns.set(n.pattern, path)
    })
  }

  it('finds the patterns of the contract', () => {
    expect([...patterns.keys()]).toContain(EMAIL_PATTERN.source)
    expect(patterns.size).toBeGreaterThanOrEqual(8)
  })

  // The old email pattern took ~0.8 s for 20 KB of dots (quadratic: ~12 s for 100 KB); a linear one well under 1 ms.
  const inputs = hostileInputs(20_000)
  it.each([...patterns.entries()])('%s (%s) stays under 20 ms for 20 KB hostile inputs', (pattern) => {
    expect(slowest(new RegExp(pattern), inputs)).toBeLessThan(20)
  })

  it('the email check grows linearly: 100 KB costs about ten times 10 KB, not a hundred', () => {
    const attack = (n: number): string => flat('a@' + '.'.repeat(n) + '@')
    const small = timeTest(EMAIL_PATTERN, attack(10_000))
    const large = timeTest(EMAIL_PATTERN, attack(100_000))
    expect(large).toBeLessThan(50)
    // Quadratic would be 100x; allow generous noise for a sub-millisecond measurement on a busy machine.
    expect(large).toBeLessThan(Math.max(small * 40, 5))
    const t = performance.now()
    expect(WebuiAccountInput.safeParse({ name: 'x', email: attack(100_000), password: 'correct horse' }).success).toBe(false)
    expect(performance.now() - t).toBeLessThan(100)
  })

  it('still accepts ordinary addresses and refuses malformed ones', () => {
    for (const ok of ['you@example.com', 'a.b+c@mail.example.co.uk', 'x@localhost.localdomain']) {
      expect(EMAIL_PATTERN.test(ok), ok).toBe(true)
    }
    const bad = ['you', 'you@', '@example.com', 'you@example', 'you@@example.com', 'you@exa mple.com', 'you@example..com', 'you@.x.com']
    for (const b of bad) expect(EMAIL_PATTERN.test(b), b).toBe(false)
  })
})

describe('destructive defaults', () => {
  it('a prune without dryRun only lists the candidates', () => {
    const input = engineContract.prune['~orpc'].inputSchema
    expect(input?.['~standard'].validate({})).toEqual({ value: { dryRun: true } })
  })

  it('a new Open WebUI account is an ordinary user unless admin is asked for', () => {
    const base = { name: 'Owner', email: 'owner@example.com', password: 'correct horse' }
    expect(WebuiAccountInput.parse(base).role).toBe('user')
    expect(WebuiAccountInput.parse({ ...base, role: 'admin' }).role).toBe('admin')
  })
})
