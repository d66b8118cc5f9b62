import { base } from '../rpc/base'
import type { GpuService } from './gpu-service'

export function gpuRouter(gpu: GpuService) {
  return {
    list: base.gpu.list.handler(() => gpu.snapshot()),
    history: base.gpu.history.handler(({ input }) => gpu.getHistory(input.seconds)),
    watch: base.gpu.watch.handler(async function* ({ signal }) {
      yield* gpu.watch(signal)
    }),
  }
}
