/**
 * The download buffers: 4 MiB each, page-aligned so they can be written with O_DIRECT (file-writer.ts).
 * Node has no aligned allocation; a WebAssembly memory is mapped on page boundaries, so the pool is
 * carved out of one, grown a buffer at a time. It is shared memory: growing it never detaches the
 * buffers already handed out, and a hash thread can read one without a copy (hasher.ts). Beyond
 * the pool's size, buffers are plain (unaligned: written through the page cache).
 */
export const BUFFER_BYTES = 4 * 1024 * 1024
/** O_DIRECT needs buffer addresses, file offsets and lengths in multiples of the logical block size (≤ 4 KiB). */
export const ALIGN = 4096
const POOL_MAX = 32
const WASM_PAGE = 64 * 1024

/** The part of the WebAssembly API used here (Node has it; the Node typings leave it out). */
interface WasmMemory {
  readonly buffer: SharedArrayBuffer
  grow(pages: number): number
}
const { Memory } = (
  globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: true }) => WasmMemory } }
).WebAssembly

let memory: WasmMemory | undefined
let carved = 0
const free: Buffer[] = []
const aligned = new WeakSet<Buffer>()

export function takeBuffer(): Buffer {
  const b = free.pop()
  if (b) return b
  if (carved < POOL_MAX) {
    memory ??= new Memory({ initial: 0, maximum: (POOL_MAX * BUFFER_BYTES) / WASM_PAGE, shared: true })
    memory.grow(BUFFER_BYTES / WASM_PAGE)
    const buf = Buffer.from(memory.buffer, carved * BUFFER_BYTES, BUFFER_BYTES)
    carved++
    aligned.add(buf)
    return buf
  }
  return Buffer.allocUnsafeSlow(BUFFER_BYTES)
}

export function giveBuffer(b: Buffer): void {
  if (b.length === BUFFER_BYTES && free.length < POOL_MAX) free.push(b)
}

/** A pool buffer whose memory starts on a page (can be written with O_DIRECT). */
export function isAligned(b: Buffer): boolean {
  return aligned.has(b)
}
