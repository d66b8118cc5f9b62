import type { ArgValue, Diagnosis, DiagnosisFix, LoadPhase } from '../../../shared/contract/deployments'
import { splitWords } from '../engine/flags-service'

/**
 * What vLLM's log says: the load phase a line belongs to, and why a container died. Tolerant patterns for
 * the versions in vllm-facts §2 (V0 and V1 wording, old and new banners).
 */

const PHASE_PATTERNS: [LoadPhase, RegExp][] = [
  [
    'server-start',
    /init engine \(profile, create kv cache|Starting vLLM (API )?server|Available routes are|Started server process|Application startup complete|Waiting for application startup/,
  ],
  ['graph-capture', /Capturing CUDA graphs?|Graph capturing finished|CUDA graph pool memory|Capturing cudagraphs|Cudagraph is disabled/i],
  [
    'kv-cache',
    /Memory profiling takes|Available KV cache memory|GPU KV cache size|# (GPU|cuda) blocks|torch\.compile takes|Dynamo bytecode transform|torch_compile_cache|Maximum concurrency for|CUDA graph memory profiling is enabled/,
  ],
  [
    'weights',
    /Starting to load model|Loading weights took|Model loading took|Loading model weights took|Loading safetensors checkpoint shards|Using (Flash Attention|FlashInfer|XFormers|Triton) backend/,
  ],
]

/** The phase a log line announces, or null. */
export function phaseOf(line: string): LoadPhase | null {
  for (const [phase, re] of PHASE_PATTERNS) if (re.test(line)) return phase
  return null
}

/** vLLM has finished starting: the API server accepted the app. */
export const READY_LINE = /Application startup complete/

/** Strip the process prefix, level, timestamp and source location: what vLLM said. */
export function message(line: string): string {
  return line
    .replace(/^\S*\s*/, (m) => (/^\d{4}-\d\d-\d\dT/.test(m) ? '' : m))
    .replace(/^\((?:APIServer|EngineCore\S*|Worker\S*|VllmWorker\S*)\s+pid=\d+\)\s*/, '')
    .replace(/^(INFO|WARNING|ERROR|DEBUG|CRITICAL)\s+\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\s+\[[^\]]*\]\s*/, '')
    .trim()
}

const round2down = (x: number): number => Math.floor(x * 100) / 100

interface Rule {
  kind: Diagnosis['kind']
  re: RegExp
  build(m: RegExpExecArray, ctx: Ctx): Omit<Diagnosis, 'kind' | 'lines' | 'exitCode'>
}

interface Ctx {
  args: Record<string, ArgValue>
  extraArgs: string
}

/** A fix that removes `flags` wherever the definition sets them (form or extra args). */
export function removeFlagsFix(flags: string[], ctx: Ctx): DiagnosisFix | undefined {
  const setArgs: Record<string, null> = {}
  for (const f of flags) if (f in ctx.args) setArgs[f] = null
  const removeExtra: string[] = []
  let words: string[] = []
  try {
    words = splitWords(ctx.extraArgs)
  } catch {
    /* unparsable extra args: nothing to remove there */
  }
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    const name = w.split('=')[0]!
    if (!flags.includes(name) && !flags.includes(w)) continue
    removeExtra.push(w)
    if (!w.includes('=') && words[i + 1] !== undefined && !words[i + 1]!.startsWith('-') && flags.includes(name)) {
      const next = words[i + 1]!
      if (flags.includes(next)) continue
      removeExtra.push(next)
      i++
    }
  }
  if (!Object.keys(setArgs).length && !removeExtra.length) return undefined
  return { label: `Remove ${flags.join(' ')}`, setArgs, removeExtra }
}

const RULES: Rule[] = [
  {
    kind: 'gpu-memory-utilization',
    re: /Free memory on device (\S+) \(([\d.]+)\/([\d.]+) GiB\) on startup is less than desired GPU memory utilization \(([\d.]+), ([\d.]+) GiB\)/,
    build: (m) => {
      const free = Number(m[2])
      const total = Number(m[3])
      const asked = Number(m[4])
      // Leave the 5 % of the GPU that vLLM's guidance keeps free (vllm-facts §3), as the memory planner does when it
      // admits the fixed start: its usable memory is 0.95 × total minus what others hold = free − 0.05 × total.
      const fits = round2down(free / total - 0.05)
      return {
        reason: `The GPU has ${free.toFixed(2)} GiB free of ${total.toFixed(2)} GiB, less than the ${Number(m[5]).toFixed(2)} GiB that --gpu-memory-utilization ${asked} asks for (other processes use the rest).`,
        hint:
          fits >= 0.05
            ? `Lower --gpu-memory-utilization to ${fits} or less, or free memory used by other processes.`
            : 'Free memory used by other processes on this GPU, or choose another GPU.',
        fix:
          fits >= 0.05
            ? { label: `Set --gpu-memory-utilization ${fits}`, setArgs: { '--gpu-memory-utilization': fits }, removeExtra: [] }
            : undefined,
      }
    },
  },
  {
    kind: 'kv-cache-too-small',
    re: /max seq len \((\d+)\).*estimated maximum model length is (\d+)/s,
    build: (m) => ({
      reason: `The KV cache cannot hold one request of the model's max length (${m[1]} tokens); vLLM estimates ${m[2]} tokens fit.`,
      hint: `Set --max-model-len to ${m[2]} or less, or raise --gpu-memory-utilization.`,
      fix: { label: `Set --max-model-len ${m[2]}`, setArgs: { '--max-model-len': Number(m[2]) }, removeExtra: [] },
    }),
  },
  {
    kind: 'invalid-argument',
    re: /User-specified max_model_len \((\d+)\) is greater than the derived max_model_len \((?:max_position_embeddings=)?(\d+)/,
    build: (m) => ({
      reason: `--max-model-len ${m[1]} is longer than the model supports (${m[2]} tokens).`,
      hint: `Set --max-model-len to ${m[2]} or less (VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 overrides, at the risk of wrong output).`,
      fix: { label: `Set --max-model-len ${m[2]}`, setArgs: { '--max-model-len': Number(m[2]) }, removeExtra: [] },
    }),
  },
  {
    kind: 'invalid-argument',
    re: /ValidationError: \d+ validation errors? for (\w+)\n([^\n]*)(?:\n([^\n]*))?/,
    build: (m) => ({
      reason: `vLLM rejected the ${m[1]} settings: ${[m[2], m[3]]
        .map((x) => message(x ?? ''))
        .filter(Boolean)
        .join(' — ')}.`,
      hint: 'Correct the argument named in the message.',
    }),
  },
  {
    kind: 'no-kv-cache-memory',
    re: /No available memory for the cache blocks/,
    build: () => ({
      reason: 'After loading the weights no GPU memory was left for the KV cache.',
      hint: 'Raise --gpu-memory-utilization, use a quantized model, or add GPUs (tensor parallel).',
    }),
  },
  {
    kind: 'cuda-oom',
    re: /torch\.OutOfMemoryError|CUDA out of memory|Failed to load model - not enough GPU memory|OutOfMemoryError/,
    build: () => ({
      reason: 'The GPU ran out of memory (CUDA OOM).',
      hint: 'Lower --max-model-len or --max-num-seqs, use --enforce-eager, a quantized model, or more GPUs.',
    }),
  },
  {
    kind: 'unrecognized-arguments',
    re: /error: unrecognized arguments: (.*)$/m,
    build: (m, ctx) => {
      const flags = splitWordsSafe(m[1]!)
        .filter((w) => w.startsWith('-'))
        .map((w) => w.split('=')[0]!)
      return {
        reason: `This vLLM version does not know ${flags.join(', ') || m[1]}.`,
        hint: 'Remove the flag, or pick an image version that has it.',
        fix: removeFlagsFix(flags, ctx),
      }
    },
  },
  {
    kind: 'invalid-argument',
    re: /error: argument ([^:\s]+)(?:\/\S+)?: (.*)$/m,
    build: (m, ctx) => {
      const flag = m[1]!.split('/').find((f) => f.startsWith('--')) ?? m[1]!
      return { reason: `vLLM rejected ${flag}: ${m[2]}.`, hint: `Correct or remove ${flag}.`, fix: removeFlagsFix([flag], ctx) }
    },
  },
  {
    kind: 'gated-model',
    re: /GatedRepoError|Cannot access gated repo|401 Client Error|Access to model .* is restricted|RepositoryNotFoundError/,
    build: () => ({
      reason: 'vLLM tried to reach the Hugging Face Hub for a gated or private model and was refused (401).',
      hint: 'Pull the model into the store first (with your HF token in Settings), then deploy it again.',
    }),
  },
  {
    kind: 'model-missing-offline',
    re: /LocalEntryNotFoundError|cannot find the requested files in the local cache|offline mode is enabled|Invalid repository ID or local directory specified|Cannot find any model weights/i,
    build: () => ({
      reason: 'The model is not complete in the local store, and the container runs offline (HF_HUB_OFFLINE=1).',
      hint: 'Pull (or update) the model in the Models page, then start the deployment again.',
    }),
  },
  {
    kind: 'tensor-parallel',
    re: /tensor_parallel_size \((\d+)\) to less than max local gpu count \((\d+)\)/,
    build: (m) => ({
      reason: `Tensor-parallel size ${m[1]} needs more GPUs than the ${m[2]} attached.`,
      hint: 'Attach more GPUs or lower the tensor-parallel size.',
    }),
  },
  {
    kind: 'gpu-unavailable',
    re: /Failed to infer device type|No CUDA GPUs are available|could not select device driver|CUDA driver initialization failed|nvml error/,
    build: () => ({
      reason: 'The container did not get a usable GPU.',
      hint: 'Check the NVIDIA driver and container toolkit on the System page (GPU dry run).',
    }),
  },
  {
    kind: 'port-in-use',
    re: /address already in use|port is already allocated/,
    build: () => ({ reason: 'The port is already in use.', hint: 'Choose another host port, or leave it empty for a free one.' }),
  },
]

function splitWordsSafe(s: string): string[] {
  try {
    return splitWords(s)
  } catch {
    return s.split(/\s+/)
  }
}

/** Why the container died, from its last log lines and exit code. */
export function diagnose(lines: string[], exitCode: number | null, ctx: Ctx): Diagnosis {
  const text = lines.join('\n')
  for (const rule of RULES) {
    const m = rule.re.exec(text)
    if (!m) continue
    const hit = lines.filter((l) => rule.re.test(l) || (rule.kind === 'kv-cache-too-small' && /estimated maximum model length/.test(l)))
    const shown = (hit.length ? hit : [m[0]]).map(message)
    return { kind: rule.kind, ...rule.build(m, ctx), lines: [...new Set(shown)].slice(-3), exitCode }
  }
  const tail = lines.filter((l) => l.trim()).slice(-12)
  const errors = tail.filter((l) => /error|Traceback|Exception/i.test(l))
  return {
    kind: 'exited',
    reason:
      exitCode === 137
        ? 'The container was killed (exit 137: out of host memory or killed from outside).'
        : `The container exited with code ${exitCode ?? 'unknown'}${errors.length ? '' : ' without an error message'}.`,
    hint: 'Read the log lines below; if there are none, start it again and watch the log.',
    lines: (errors.length ? errors : tail).map(message).slice(-6),
    exitCode,
  }
}
