/**
 * Default file selection, like vLLM's: safetensors + configs + tokenizer + small text files; when
 * safetensors weights exist, skip other weight formats (*.bin, *.pt, *.pth, …) and original/.
 */
const OTHER_WEIGHTS = /\.(bin|pt|pth|ckpt|h5|msgpack|onnx|gguf|tflite|ot|mlmodel)$/i

export function defaultSelection(paths: string[]): Set<string> {
  const hasSafetensors = paths.some((p) => p.endsWith('.safetensors') && !p.startsWith('original/'))
  const out = new Set<string>()
  for (const p of paths) {
    if (hasSafetensors && (OTHER_WEIGHTS.test(p) || p.startsWith('original/'))) continue
    out.add(p)
  }
  return out
}
