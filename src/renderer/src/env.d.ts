/// <reference types="vite/client" />

/** What the Electron preload exposes (frozen); absent in a plain browser. */
interface InferAdminBridge {
  readonly platform: string
  readonly version: string
}

interface Window {
  readonly inferadmin?: InferAdminBridge
}
