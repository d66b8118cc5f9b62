/** Sandboxed preload (built as CommonJS): see ./bridge for what it does and does not expose. */
import { contextBridge, ipcRenderer } from 'electron'
import { version } from '../../package.json'
import { installPreload, type PreloadWindow } from './bridge'

type RendererPort = NonNullable<Parameters<typeof ipcRenderer.postMessage>[2]>[number]
declare const window: PreloadWindow<RendererPort>

installPreload({ contextBridge, ipcRenderer, window, info: { platform: process.platform, version } })
