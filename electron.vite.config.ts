import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'
import tailwindcss from '@tailwindcss/vite'

// Three builds from one config:
// - main: the Electron shell entry AND the headless server entry (both ESM, deps external),
//   plus the worker entries (piscina pool, GPU sampler, downloads);
// - preload: CommonJS so the renderer keeps `sandbox: true`;
// - renderer: the Vue app, served by the shell (app://) and by the headless server (http).
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          server: resolve('src/main/server/cli.ts'),
          'pool-worker': resolve('src/main/core/workers/pool-worker.js'),
          'gpu-worker': resolve('src/main/core/gpu/gpu-worker.js'),
          'transfer-worker': resolve('src/main/core/models/transfer-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    resolve: { alias: { '@': resolve('src/renderer/src'), '@shared': resolve('src/shared') } },
    plugins: [vue(), tailwindcss()],
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: resolve('src/renderer/index.html') },
    },
  },
})
