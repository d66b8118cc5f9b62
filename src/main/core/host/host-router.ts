import { AppError } from '../errors'
import { base } from '../rpc/base'
import type { HostService } from './host-service'

export function hostRouter(host: HostService) {
  return {
    inventory: base.host.inventory.handler(async () => {
      try {
        return await host.inventory()
      } catch (err) {
        throw new AppError(
          'UNAVAILABLE',
          `Could not read the host inventory: ${(err as Error).message}`,
          { fix: 'See the log for details; the rest of the app is unaffected.' },
          { cause: err },
        )
      }
    }),
    doctor: base.host.doctor.handler(({ signal }) => host.doctor(signal)),
    gpuDryRun: base.host.gpuDryRun.handler(({ signal }) => host.gpuDryRun(signal)),
  }
}
