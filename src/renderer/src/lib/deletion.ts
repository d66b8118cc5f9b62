/**
 * What each delete in the UI removes and what it keeps, as the one confirmation dialog shows it
 * (components/confirm/ConfirmDialog.vue). Pure: the dialog only renders a plan.
 */
import type { Deployment } from '@shared/contract/deployments'
import type { LocalImage } from '@shared/contract/engine'
import type { LocalModel } from '@shared/contract/models'
import { formatBytes } from '@shared/format'

export interface DeletionPlan {
  title: string
  /** What goes, each a line a person can check. */
  removes: string[]
  /** What stays, so nobody has to guess. */
  keeps: string[]
  /** The confirm button's text (names what it does, e.g. "Delete 7.0 MiB"). */
  confirmLabel: string
  /** A last word: what to do first if you want to keep something, or why the action is refused. */
  note?: string
  /** When set, the action cannot run: the reason is shown and the confirm button stays disabled. */
  blocked?: string
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`
const RUNNING = new Set(['creating', 'starting', 'loading', 'ready', 'stopping'])

export function deploymentDeletion(d: Deployment): DeletionPlan {
  const def = d.definition
  const args = Object.keys(def.args).length + (def.extraArgs.trim() ? 1 : 0)
  const settings = [`model ${def.model.repo}`, plural(def.gpus.length, 'GPU'), def.hostPort ? `port ${def.hostPort}` : null]
  if (args) settings.push(`${plural(Object.keys(def.args).length, 'vLLM argument')}${def.extraArgs.trim() ? ' + extra args' : ''}`)
  const running = RUNNING.has(d.status.state)
  return {
    title: `Delete the deployment “${def.name}”?`,
    removes: [
      `Its definition: ${settings.filter(Boolean).join(', ')}`,
      running
        ? `Its running container: stopped now, so ${d.status.endpoint ?? 'its endpoint'} stops answering`
        : 'Its container (stopped), with its logs',
    ],
    keeps: [`The model ${def.model.repo} in the model store`, `The vLLM image ${def.image}`, 'Other deployments and Open WebUI'],
    confirmLabel: running ? 'Stop and delete' : 'Delete deployment',
    note: 'To recreate it later, use Export YAML first.',
  }
}

function modelUsers(m: LocalModel): string[] {
  return [...new Set(m.revisions.flatMap((r) => r.inUseBy))]
}

export function modelDeletion(m: LocalModel): DeletionPlan {
  const bytes = m.sizeOnDisk + m.incompleteBytes
  const snapshots = m.revisions.length
  const users = modelUsers(m)
  return {
    title: `Delete the model ${m.repo}?`,
    removes: [
      `Its files in ${m.location}: ${plural(snapshots, 'snapshot')}${m.incompleteBytes > 0 ? ' and the partial download' : ''}, ${formatBytes(bytes)} on disk`,
    ],
    keeps: [
      m.namedBy.length
        ? `The ${m.namedBy.length === 1 ? 'deployment' : 'deployments'} ${m.namedBy.map((n) => `“${n}”`).join(', ')} that ${m.namedBy.length === 1 ? 'names' : 'name'} it: ${m.namedBy.length === 1 ? 'it stays' : 'they stay'}, but cannot start until it is pulled again`
        : 'No deployment names it',
      'Other models, including other copies of this one in other store locations',
      'Your Hugging Face token and settings',
    ],
    confirmLabel: `Delete ${formatBytes(bytes)}`,
    note: m.namedBy.length
      ? `Deleting it breaks ${m.namedBy.map((n) => `“${n}”`).join(', ')} until you pull it again (or point ${m.namedBy.length === 1 ? 'that deployment' : 'them'} at another model).`
      : 'Pulling it again downloads it from the Hub.',
    blocked: users.length ? `In use by ${users.join(', ')}: stop ${users.length === 1 ? 'it' : 'them'} first.` : undefined,
  }
}

export function imageDeletion(tag: string, image: LocalImage | undefined): DeletionPlan {
  const size = image ? formatBytes(image.sizeBytes) : null
  const users = image?.inUseBy ?? []
  return {
    title: `Remove the vLLM image ${tag}?`,
    removes: [`The local image ${image?.ref ?? tag}${size ? ` (${size}; layers shared with other tags stay while they use them)` : ''}`],
    keeps: ['Deployments and their settings', 'Other pulled vLLM versions', 'Models in the model store'],
    confirmLabel: size ? `Remove ${size}` : 'Remove image',
    note: 'A deployment set to this tag pulls it again when it starts.',
    blocked: users.length ? `In use by ${users.join(', ')}.` : undefined,
  }
}

/** Unused images a prune removes (the dry run's candidates; the UI asks only when there are some). */
export function pruneDeletion(candidates: LocalImage[], pulled: number): DeletionPlan {
  const bytes = candidates.reduce((a, c) => a + c.sizeBytes, 0)
  const used = Math.max(0, pulled - candidates.length)
  return {
    title: `Remove ${plural(candidates.length, 'unused vLLM image')}?`,
    removes: candidates.map((c) => `${c.ref} (${formatBytes(c.sizeBytes)})`),
    keeps: [used ? `${plural(used, 'pulled image')} that deployments use` : 'Images deployments use', 'Deployments, models and Open WebUI'],
    confirmLabel: `Remove ${formatBytes(bytes)}`,
    note: 'Sizes count layers shared between images once per image.',
  }
}

export function webuiDeletion(o: { volume: string; exists: boolean | null; sizeBytes: number | null; deleteData: boolean }): DeletionPlan {
  const size = o.sizeBytes === null ? null : formatBytes(o.sizeBytes)
  const data = `The data volume ${o.volume}${size ? ` (${size})` : ''}: chats, accounts and settings`
  return {
    title: 'Delete Open WebUI?',
    removes: ['The Open WebUI container (its page stops answering)', ...(o.deleteData ? [`${data}, lost for good`] : [])],
    keeps: [
      ...(o.deleteData ? [] : [o.exists === false ? 'Nothing else: there is no data volume' : `${data}: a new deploy picks them up`]),
      'Your deployments and models',
    ],
    confirmLabel: o.deleteData ? `Delete with data${size ? ` (${size})` : ''}` : 'Delete, keep data',
  }
}
