/**
 * vLLM flags a deployment sets itself from its definition (model, container port, listen address, tensor
 * parallel size): the argument form does not offer them, and the server refuses them in `args` naming the
 * definition field to use. Must match core/engine/flags-validate.ts MANAGED_FLAGS (test/project checks).
 */
export const MANAGED_FLAGS: readonly string[] = ['--model', '--port', '--host', '--tensor-parallel-size', '-tp']
