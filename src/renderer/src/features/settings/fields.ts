import type { Draft } from './form-model'

type TextKey = {
  [K in keyof Draft]: Draft[K] extends string ? (K extends 'theme' ? never : K) : never
}[keyof Draft]

export interface FieldSpec {
  key: TextKey
  label: string
  description: string
  numeric?: boolean
  placeholder?: string
  mono?: boolean
}

type ToggleKey = { [K in keyof Draft]: Draft[K] extends boolean ? K : never }[keyof Draft]

/** An on/off setting, shown as a checkbox with its label and what it does. */
export interface ToggleSpec {
  key: ToggleKey
  label: string
  description: string
}

export interface SectionSpec {
  title: string
  description: string
  /** Shown before the fields. */
  toggles?: ToggleSpec[]
  fields: FieldSpec[]
  /** A control of its own shown after the fields (the page knows each one). */
  extra?: 'browser-notifications'
}

/** The plain text/number settings, grouped as on the page (stores, token and theme have their own UI). */
export const sections: SectionSpec[] = [
  {
    title: 'Network',
    description: 'Where InferAdmin and the services it starts can be reached.',
    fields: [
      {
        key: 'listenInterface',
        label: 'Listen interface',
        description: 'Address vLLM, Open WebUI and the gateway bind to. 0.0.0.0 means every interface.',
        placeholder: '0.0.0.0',
        mono: true,
      },
      {
        key: 'apiHost',
        label: 'Management API host',
        description: 'Address of the headless management API. Keep 127.0.0.1 unless you need remote access.',
        placeholder: '127.0.0.1',
        mono: true,
      },
    ],
  },
  {
    title: 'Gateway',
    description: 'One OpenAI-compatible endpoint for every model: started on demand, unloaded when idle (see the Gateway page).',
    toggles: [
      {
        key: 'gatewayEnabled',
        label: 'Run the gateway',
        description: 'Off: no shared endpoint; each deployment is reached on its own port only.',
      },
      {
        key: 'gatewayKeyOnLoopback',
        label: 'Require an API key from this machine too',
        description: 'Other machines and containers always need a key; off, requests from this machine may go without.',
      },
      {
        key: 'gatewayLoadProgress',
        label: 'Show load progress to streaming clients',
        description: 'While a model loads, streaming chats see its phase and ETA as a thinking block (never in the answer text).',
      },
    ],
    fields: [
      {
        key: 'gatewayPort',
        label: 'Gateway port',
        description: 'Port of the endpoint, on the listen interface (default 8000). Clients use http://HOST:PORT/v1.',
        numeric: true,
      },
      {
        key: 'gatewayIdleMinutes',
        label: 'Unload after idle (minutes)',
        description: 'Minutes without requests before an on-demand model is unloaded; a deployment may set its own. 0 = never.',
        numeric: true,
      },
      {
        key: 'gatewayMaxWaitMinutes',
        label: 'Maximum wait for a load (minutes)',
        description: 'How long a request is held while its model loads before a 503 with Retry-After (1 to 120; big models take minutes).',
        numeric: true,
      },
      {
        key: 'gatewayQueueLimit',
        label: 'Requests held per model',
        description: 'Requests waiting for one model to load; more get 429 with Retry-After (1 to 10000).',
        numeric: true,
      },
    ],
  },
  {
    title: 'Monitoring',
    description: 'How often InferAdmin samples the GPUs and the Docker containers.',
    fields: [
      {
        key: 'gpuRefreshMs',
        label: 'GPU refresh interval (ms)',
        description: '250 to 60000 milliseconds.',
        numeric: true,
      },
      {
        key: 'containerRefreshMs',
        label: 'Container refresh interval (ms)',
        description: '1000 to 600000 milliseconds.',
        numeric: true,
      },
    ],
  },
  {
    title: 'Performance',
    description: 'Worker threads for CPU work and parallel I/O. See their load on the System page.',
    fields: [
      {
        key: 'cpuPoolSize',
        label: 'CPU pool size',
        description: 'Worker threads for hashing and parsing. 0 = automatic (CPU cores − 1).',
        numeric: true,
      },
      {
        key: 'ioConcurrency',
        label: 'I/O concurrency',
        description: 'File transfers and Docker calls running at once (1 to 64).',
        numeric: true,
      },
    ],
  },
  {
    title: 'Docker and images',
    description: 'The container engine and where images and models come from.',
    fields: [
      {
        key: 'dockerSocket',
        label: 'Docker socket',
        description: 'unix:///path/docker.sock or tcp://host:port. Empty = DOCKER_HOST or /var/run/docker.sock.',
        placeholder: 'unix:///var/run/docker.sock',
        mono: true,
      },
      {
        key: 'vllmImageRepository',
        label: 'vLLM image repository',
        description: 'Docker image repository of the vLLM OpenAI-compatible server.',
        placeholder: 'vllm/vllm-openai',
        mono: true,
      },
      {
        key: 'vllmShmSize',
        label: 'vLLM shared memory',
        description:
          '/dev/shm of each vLLM container, as docker run --shm-size takes it (e.g. 10.24g, 16g). PyTorch needs it for ' +
          "tensor parallel; a deployment can use the host's IPC namespace instead (its advanced options).",
        placeholder: '10.24g',
        mono: true,
      },
      {
        key: 'webuiImage',
        label: 'Open WebUI image repository',
        description: 'Image of Open WebUI (the tag is chosen when deploying or updating it).',
        placeholder: 'ghcr.io/open-webui/open-webui',
        mono: true,
      },
      {
        key: 'webuiPort',
        label: 'Open WebUI port',
        description: 'Host port Open WebUI is published on (on the listen interface).',
        numeric: true,
      },
      {
        key: 'tagRefreshTime',
        label: 'vLLM tag refresh time',
        description:
          'Local time (HH:MM, 24-hour) of the nightly refresh of the vLLM version list. Missed while the app was off → refreshed at start.',
        placeholder: '03:00',
        mono: true,
      },
      {
        key: 'hubEndpoint',
        label: 'Hugging Face endpoint',
        description: 'A mirror of the Hugging Face Hub. Empty = HF_ENDPOINT or https://huggingface.co.',
        placeholder: 'https://huggingface.co',
        mono: true,
      },
    ],
  },
  {
    title: 'Notifications',
    description:
      'Desktop notifications in the desktop app, toasts in the web UI. A burst becomes one (ten downloads finishing = one); ' +
      'clicking one opens the page concerned.',
    toggles: [
      { key: 'notifyDownloads', label: 'Downloads finished or failed', description: 'A model download or update ended.' },
      {
        key: 'notifyModelStart',
        label: 'Model ready or failed to start',
        description: 'A deployment began serving, or its start failed (with the diagnosis in one line).',
      },
      {
        key: 'notifyModelCrash',
        label: 'Model crashed or ran out of memory',
        description: 'A running model stopped unexpectedly, e.g. out of GPU memory.',
      },
      {
        key: 'notifyModelUnload',
        label: 'Model unloaded or stopped',
        description: 'Off by default: on-demand models are unloaded whenever they are idle.',
      },
      { key: 'notifyVllmRelease', label: 'New vLLM release', description: 'The nightly version check found a newer vLLM image.' },
      { key: 'notifyWebuiReady', label: 'Open WebUI ready', description: 'Open WebUI finished starting and can be opened.' },
    ],
    fields: [],
    extra: 'browser-notifications',
  },
  {
    title: 'Desktop',
    description: 'These apply to the desktop app only; the headless server stores them and ignores them.',
    toggles: [
      { key: 'autostart', label: 'Start at login', description: 'Starts InferAdmin when you log in to your desktop session.' },
      { key: 'startMinimised', label: 'Start minimised', description: 'Starts with the window hidden; open it from the tray icon.' },
    ],
    fields: [],
  },
]
