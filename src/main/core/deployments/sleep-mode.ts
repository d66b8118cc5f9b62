import type { DeploymentDefinition, FlagInfo } from '../../../shared/contract/deployments'
import { isLoopback } from '../docker/net'
import { AppError } from '../errors'

export const SLEEP_FLAG = '--enable-sleep-mode'
export const DEV_MODE_ENV = 'VLLM_SERVER_DEV_MODE'

/**
 * Why a deployment cannot use sleep mode here, or null (pure). Sleep needs the image's --enable-sleep-mode and vLLM's
 * dev mode, whose /sleep, /wake_up and /collective_rpc routes --api-key does not guard (gateway-facts §0.2, §1.1): so
 * only with the container published on loopback (the gateway in front, or Settings → listen interface 127.0.0.1).
 */
export function sleepModeProblem(
  def: Pick<DeploymentDefinition, 'sleepMode' | 'image'>,
  o: { listen: string; flags: readonly Pick<FlagInfo, 'flag'>[] },
): AppError | null {
  if (def.sleepMode !== 'auto') return null
  const fields = { sleepMode: 'not available here' }
  if (!o.flags.some((f) => f.flag === SLEEP_FLAG))
    return new AppError('BAD_REQUEST', `Sleep mode needs ${SLEEP_FLAG}, which ${def.image} does not have.`, {
      fix: 'Choose a vLLM image that lists --enable-sleep-mode (v0.7.3 or later), or set sleep mode to off.',
      fields,
    })
  if (!isLoopback(o.listen))
    return new AppError(
      'BAD_REQUEST',
      `Sleep mode opens vLLM's unauthenticated admin routes, and this container would be published on ${o.listen}, where other machines reach them.`,
      {
        fix: 'Turn the gateway on (deployments then listen on 127.0.0.1 only), or set Settings → listen interface to 127.0.0.1, or set sleep mode to off.',
        fields,
      },
    )
  return null
}

/** The definition as its container is started: with sleep mode, --enable-sleep-mode and VLLM_SERVER_DEV_MODE=1. */
export function withSleepMode(def: DeploymentDefinition): DeploymentDefinition {
  if (def.sleepMode !== 'auto') return def
  return { ...def, args: { ...def.args, [SLEEP_FLAG]: true }, env: { ...def.env, [DEV_MODE_ENV]: '1' } }
}
