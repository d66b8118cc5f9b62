import { ref, shallowRef, watch, type Ref, type ShallowRef } from 'vue'
import type { DoctorReport, GpuDryRunResult } from '@shared/contract/host'
import { connection } from '@/lib/connection'
import { api } from '@/lib/rpc'

/** The doctor report (run once per connection and on demand) and the opt-in GPU dry run. */
export function useDoctor(): {
  report: ShallowRef<DoctorReport | null>
  running: Ref<boolean>
  error: ShallowRef<unknown>
  run: () => Promise<void>
  dryRun: ShallowRef<GpuDryRunResult | null>
  dryRunning: Ref<boolean>
  runDryRun: () => Promise<void>
} {
  const report = shallowRef<DoctorReport | null>(null)
  const running = ref(false)
  const error = shallowRef<unknown>(null)
  const dryRun = shallowRef<GpuDryRunResult | null>(null)
  const dryRunning = ref(false)

  async function run(): Promise<void> {
    running.value = true
    try {
      report.value = await api.host.doctor()
      error.value = null
    } catch (err) {
      error.value = err
    } finally {
      running.value = false
    }
  }

  async function runDryRun(): Promise<void> {
    dryRunning.value = true
    try {
      dryRun.value = await api.host.gpuDryRun()
      error.value = null
    } catch (err) {
      error.value = err
    } finally {
      dryRunning.value = false
    }
  }

  watch(
    () => connection.generation,
    (g) => {
      if (g > 0) void run()
    },
    { immediate: true },
  )
  return { report, running, error, run, dryRun, dryRunning, runDryRun }
}
