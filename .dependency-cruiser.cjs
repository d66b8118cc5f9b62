/** Architecture rules, checked in `npm test` (`npm run lint:deps`). Layers: shared → core → transports → UI. */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make start-up order and testing fragile; break them with a smaller module.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-not-electron',
      severity: 'error',
      comment: 'Core services are plain Node: they run headless and in tests; Electron stays in the shell.',
      from: { path: '^src/main/core/' },
      to: { path: '^electron$|node_modules/electron/' },
    },
    {
      name: 'core-not-transports',
      severity: 'error',
      comment: 'Core knows nothing of the shell or the server that carry it.',
      from: { path: '^src/main/core/' },
      to: { path: '^src/main/(shell|server)/|^src/main/index\\.ts$|^src/(preload|renderer)/' },
    },
    {
      name: 'server-not-shell',
      severity: 'error',
      comment: 'The headless server runs without Electron: it may not import the shell.',
      from: { path: '^src/main/server/' },
      to: { path: '^src/main/shell/|^electron$|node_modules/electron/' },
    },
    {
      name: 'renderer-only-shared',
      severity: 'error',
      comment: 'The UI talks to the main process only through the shared contract.',
      from: { path: '^src/renderer/' },
      to: { path: '^src/(main|preload)/' },
    },
    {
      name: 'shared-imports-nothing-of-ours',
      severity: 'error',
      comment: 'The shared contract is the bottom layer: no main, preload or renderer code.',
      from: { path: '^src/shared/' },
      to: { path: '^src/(main|preload|renderer)/' },
    },
    {
      name: 'preload-only-shared',
      severity: 'error',
      comment: 'The sandboxed preload bridges a port; it may use only electron and the shared contract.',
      from: { path: '^src/preload/' },
      to: { path: '^src/(main|renderer)/' },
    },
    {
      name: 'no-domain-internals',
      severity: 'error',
      comment:
        'A core domain uses another only through its service (constructor-injected by create-core); shared infrastructure ' +
        '(docker/, events/, rpc/, workers/, logging/, settings/, the core root files) is open to all.',
      from: { path: '^src/main/core/(deployments|engine|gpu|host|jobs|models|notify|webui|system)/', pathNot: '\\.(test|fixture)\\.ts$' },
      to: { path: '^src/main/core/(deployments|engine|gpu|host|jobs|models|notify|webui|system)/', pathNot: ['^src/main/core/$1/', '-service\\.ts$'] },
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      comment: 'Shipped code never imports test helpers or the simulated workstation.',
      from: { path: '^src/', pathNot: '\\.test\\.ts$|\\.fixture\\.ts$|/test-[a-z-]+\\.ts$' },
      to: { path: '^test/|\\.test\\.ts$|\\.fixture\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(out|\\.sim)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.vue', '.json'] },
  },
}
