import { parse, stringify } from 'yaml'
import type { DeploymentDefinition, DeploymentSpecInput } from '../../../shared/contract/deployments'
import { AppError } from '../errors'

const API_VERSION = 'inferadmin/v1'

/** A definition as YAML (config as code): apiVersion, kind, spec — no ids or times. */
export function toYaml(d: DeploymentDefinition): string {
  const { id: _id, createdAt: _c, updatedAt: _u, ...spec } = d
  return stringify({ apiVersion: API_VERSION, kind: 'Deployment', spec }, { lineWidth: 0 })
}

/** YAML (a whole document or a bare spec) → spec input; the caller validates it like any other input. */
export function fromYaml(text: string): DeploymentSpecInput {
  let doc: unknown
  try {
    doc = parse(text)
  } catch (err) {
    throw new AppError('BAD_REQUEST', `The YAML cannot be read: ${(err as Error).message.split('\n')[0]}`, {
      fix: 'Correct the YAML syntax at the line named.',
    })
  }
  if (!doc || typeof doc !== 'object')
    throw new AppError('BAD_REQUEST', 'The YAML is not a deployment.', {
      fix: `Use the format of an exported deployment (apiVersion: ${API_VERSION}, kind: Deployment, spec: …).`,
    })
  const o = doc as Record<string, unknown>
  if ('kind' in o || 'apiVersion' in o) {
    if (o.kind !== 'Deployment')
      throw new AppError('BAD_REQUEST', `kind is "${String(o.kind)}", not Deployment.`, { fix: 'Import an exported deployment.' })
    if (o.apiVersion !== API_VERSION)
      throw new AppError('BAD_REQUEST', `apiVersion "${String(o.apiVersion)}" is not supported.`, {
        fix: `Use apiVersion: ${API_VERSION}.`,
      })
    return (o.spec ?? {}) as DeploymentSpecInput
  }
  return o as DeploymentSpecInput
}
