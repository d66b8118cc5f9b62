/**
 * The per-image vLLM flag API (issue 7), for deployments and the version picker's flag diffs:
 *
 *   const catalog = await flagCatalog.forImage('vllm/vllm-openai:v0.21.0')   // {image, digest, source, note, flags}
 *   const problems = validateArgs(catalog.flags, { '--max-model-len': '32k' }, '--enforce-eager')
 *   const schema = flagsSchema(catalog.flags)                                 // strict zod object, one field per flag
 *   const argv = toArgv(catalog.flags, args, extraArgs)
 *
 * `source: 'image'` = read from the image's own `--help=all` (cached per digest under dataDir/engine-flags);
 * `'bundled'` = the shipped copy of shared/reference/vllm-serve-args.json, with `note` saying why.
 */
export { FlagCatalogService, type FlagCatalog } from './flags-service'
export { bundledFlags, bundledFlag, flagFate, everKnown, BUNDLED_LABEL } from './flags-bundled'
export { parseArgparseHelp } from './flags-help'
export { flagsSchema, flagValueSchema, validateArgs, toArgv, splitWords, lookupFlag, indexFlags, MANAGED_FLAGS } from './flags-validate'
