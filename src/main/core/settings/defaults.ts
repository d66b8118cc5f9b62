import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Settings } from '../../../shared/settings'
import type { AppPaths } from '../paths'

/**
 * Defaults. The model store defaults to Hugging Face's own hub cache so vLLM, transformers and the
 * `hf` CLI share it; with INFERADMIN_HOME (tests, portable installs) it lives inside that directory.
 */
export function defaultSettings(paths: AppPaths, env: NodeJS.ProcessEnv = process.env): Settings {
  const hfHub = env.HF_HUB_CACHE || (env.HF_HOME ? join(env.HF_HOME, 'hub') : join(env.HOME || homedir(), '.cache', 'huggingface', 'hub'))
  const store = env.INFERADMIN_HOME ? join(paths.dataDir, 'models') : hfHub
  return {
    modelStores: [{ path: store, label: 'Default' }],
    defaultStore: 0,
    listenInterface: '0.0.0.0',
    apiHost: '127.0.0.1',
    gpuRefreshMs: 1000,
    containerRefreshMs: 5000,
    cpuPoolSize: 0,
    ioConcurrency: 8,
    dockerSocket: '',
    vllmImageRepository: 'vllm/vllm-openai',
    webuiImage: 'ghcr.io/open-webui/open-webui',
    webuiPort: 3000,
    tagRefreshTime: '03:00',
    vllmShmSize: '10.24g',
    hubEndpoint: '',
    theme: 'system',
    gatewayEnabled: true,
    // INFERADMIN_GATEWAY_PORT: another default (0 = any free port: the test suites, so parallel servers never collide).
    gatewayPort: /^\d{1,5}$/.test(env.INFERADMIN_GATEWAY_PORT ?? '') ? Number(env.INFERADMIN_GATEWAY_PORT) : 8000,
    gatewayIdleMinutes: 15,
    gatewayMaxWaitMinutes: 10,
    gatewayQueueLimit: 256,
    gatewayLoadProgress: true,
    gatewayKeyOnLoopback: false,
    // Unloads happen all the time with on-demand models, so that one is off (notify-rules NOTIFY_DEFAULTS).
    notifyDownloads: true,
    notifyModelStart: true,
    notifyModelCrash: true,
    notifyModelUnload: false,
    notifyVllmRelease: true,
    notifyWebuiReady: true,
    autostart: false,
    startMinimised: false,
  }
}
