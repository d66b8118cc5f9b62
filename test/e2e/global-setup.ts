import type { FullConfig } from '@playwright/test'
import { simGpus } from '../gpu/sim-gpus'
import { startHubSim } from '../sim/hub/server.js'
import { startServer } from './support/server'

/**
 * One headless server for the whole run. URL, token and home reach the test workers through the
 * environment (workers inherit what global setup sets); the returned function is the teardown.
 */
export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  // The simulated GPUs (2 × RTX 4090): every server started in the run uses the stand-in nvidia-smi.
  const gpus = simGpus()
  process.env.INFERADMIN_NVIDIA_SMI = gpus.smiPath
  process.env.INFERADMIN_E2E_GPU_DIR = gpus.gpuDir
  // The Hub stand-in: every server started in the run pulls models from it (HF_ENDPOINT).
  const hub = await startHubSim()
  process.env.HF_ENDPOINT = hub.url
  const server = await startServer({ log: process.env.INFERADMIN_E2E_LOG === '1' })
  process.env.INFERADMIN_E2E_URL = server.url
  process.env.INFERADMIN_E2E_TOKEN = server.token
  process.env.INFERADMIN_E2E_HOME = server.home
  return async () => {
    await server.stop()
    await hub.close()
    gpus.remove()
  }
}
