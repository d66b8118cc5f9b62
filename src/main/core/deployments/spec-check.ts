import { type z } from 'zod'
import type { DeploymentDefinition, DeploymentSpecInput } from '../../../shared/contract/deployments'
import { DeploymentSpec } from '../../../shared/contract/deployments'
import type { FlagCatalogService } from '../engine/flags-service'
import { portInUseText } from '../docker/port-holder'
import { portFree } from '../docker/net'
import { AppError } from '../errors'
import { nameClaims } from '../gateway/gateway-service'
import { sleepModeProblem } from './sleep-mode'

export type CheckedSpec = z.infer<typeof DeploymentSpec>

/**
 * Checks a spec: its fields, a unique name, GPUs for tensor parallelism, arguments against the image's flags, and sleep
 * mode against the image and the interface its container would be published on (`listen`; unchecked when absent).
 */
export async function checkSpec(
  spec: DeploymentSpecInput,
  o: { others: DeploymentDefinition[]; flags: Pick<FlagCatalogService, 'validate'>; listen?: string },
): Promise<CheckedSpec> {
  const parsed = DeploymentSpec.safeParse(spec)
  if (!parsed.success) {
    const fields = Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.'), i.message]))
    const named = Object.entries(fields).map(([k, v]) => `${k} ${v}`)
    throw new AppError('BAD_REQUEST', `Invalid deployment: ${named.join('; ')}.`, { fix: 'Correct the named fields.', fields })
  }
  const s = parsed.data
  const clash = o.others.find((d) => d.name.toLowerCase() === s.name.toLowerCase())
  if (clash)
    throw new AppError('CONFLICT', `A deployment named "${s.name}" exists.`, {
      fix: 'Choose another name.',
      fields: { name: 'already used' },
    })
  const tp = s.tensorParallelSize
  if (tp && s.gpus.length && tp > s.gpus.length)
    throw new AppError('BAD_REQUEST', `Tensor-parallel size ${tp} needs at least ${tp} GPUs; ${s.gpus.length} chosen.`, {
      fix: 'Choose more GPUs or lower the tensor-parallel size.',
      fields: { tensorParallelSize: 'more than the GPUs chosen' },
    })
  const { problems, catalog } = await o.flags.validate(s.image, s.args, s.extraArgs)
  if (problems.length) {
    const fields = Object.fromEntries(problems.map((p) => [p.flag in s.args ? `args.${p.flag}` : 'extraArgs', p.message]))
    const where = catalog.source === 'image' ? s.image : `the bundled flag list (${catalog.note ?? ''})`
    throw new AppError('BAD_REQUEST', `Arguments rejected by ${where}: ${problems.map((p) => p.message).join(' ')}`, {
      fix: problems.some((p) => p.successor) ? `Use the successor flag named above.` : 'Remove or correct the named flags.',
      fields,
    })
  }
  const sleep = o.listen === undefined ? null : sleepModeProblem(s, { listen: o.listen, flags: catalog.flags })
  if (sleep) throw sleep
  return s
}

/** The spec with a diagnosis' one-click fix applied: arguments set or removed, words taken out of the extra args. */
export function specWithFix(
  def: DeploymentDefinition,
  fix: { setArgs: Record<string, DeploymentDefinition['args'][string] | null>; removeExtra: string[] },
): DeploymentSpecInput {
  const args = { ...def.args }
  for (const [k, v] of Object.entries(fix.setArgs)) {
    if (v === null) delete args[k]
    else args[k] = v
  }
  let extra = def.extraArgs
  for (const w of fix.removeExtra) extra = extra.replace(new RegExp(`(^|\\s)${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=\\s|$)`), '$1')
  return { ...specOf(def), args, extraArgs: extra.replace(/\s+/g, ' ').trim() }
}

/** A definition's spec: what the user saved, without id and times. */
export function specOf(def: DeploymentDefinition): DeploymentSpecInput {
  const { id: _id, createdAt: _c, updatedAt: _u, ...spec } = def
  return spec
}

/** Names of deployments whose container serves (repo, commit) now: the model store refuses to delete those. */
export function modelUsers(
  deployments: { definition: DeploymentDefinition; status: { state: string; commit: string | null } }[],
  repo: string,
  commit: string,
): string[] {
  return deployments
    .filter(({ definition: d, status: st }) => d.model.repo === repo && st.state !== 'stopped' && st.state !== 'failed')
    .filter(({ definition: d, status: st }) => st.commit === commit || d.model.revision === commit)
    .map((x) => x.definition.name)
}

/**
 * At save time: the host port is refused when another definition or Open WebUI has it, or something else listens
 * there now (named where the OS tells) — unless it is this deployment's own running container.
 */
export async function checkHostPort(
  port: number | null | undefined,
  o: { others: DeploymentDefinition[]; webuiPort: number; iface: string; heldByItself: boolean },
): Promise<void> {
  if (!port) return
  const fix = 'Choose another host port, or leave it empty for a free one.'
  const fields = { hostPort: 'in use' }
  const clash = o.others.find((d) => d.hostPort === port)
  if (clash) throw new AppError('CONFLICT', `Port ${port} is already the host port of "${clash.name}".`, { fix, fields })
  if (port === o.webuiPort)
    throw new AppError('CONFLICT', `Port ${port} is Open WebUI's port (Settings → Open WebUI port).`, { fix, fields })
  if (o.heldByItself || (await portFree(o.iface, port))) return
  throw new AppError('CONFLICT', await portInUseText(o.iface, port), { fix, fields })
}

const words = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : [])

/** A served model name or alias another definition already claims: refused, since the gateway could not route it. */
export function checkNames(spec: CheckedSpec, others: DeploymentDefinition[]): void {
  const claims = (d: { args: DeploymentDefinition['args']; aliases: string[] }) => ({
    servedNames: words(d.args['--served-model-name']),
    aliases: d.aliases,
  })
  const clashes = nameClaims([{ id: '', ...claims(spec) }, ...others.map((d) => ({ id: d.id, ...claims(d) }))])
  const mine = clashes.find((c) => c.ids.includes(''))
  if (!mine) return
  const other = others.find((d) => mine.ids.includes(d.id))
  const field = words(spec.args['--served-model-name']).some((n) => n.toLowerCase() === mine.name.toLowerCase())
    ? 'args.--served-model-name'
    : 'aliases'
  throw new AppError('CONFLICT', `The model name "${mine.name}" is already claimed by "${other?.name ?? 'another deployment'}".`, {
    fix: 'Give this deployment another served model name or alias: the gateway routes requests by that name.',
    fields: { [field]: 'already claimed' },
  })
}
