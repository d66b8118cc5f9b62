import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { giveBuffer, takeBuffer } from './buffers'
import { makeHasher, OFF_THREAD_BYTES } from './hasher'

/** Feeds `data` through a hasher in 4 MiB pool-like buffers (reusing what comes back), as the file writer does. */
async function hashInBuffers(data: Buffer, lfs: boolean): Promise<{ hex: string; reused: number }> {
  const h = makeHasher({ size: data.length, lfs }, true)
  const pool: Buffer[] = [Buffer.allocUnsafeSlow(4 << 20), Buffer.allocUnsafeSlow(4 << 20)]
  let reused = 0
  const pending: Promise<void>[] = []
  for (let pos = 0; pos < data.length; pos += 4 << 20) {
    while (pool.length === 0) await Promise.race(pending)
    const buf = pool.pop() as Buffer
    const n = data.copy(buf, 0, pos, pos + (4 << 20))
    const p = h.update(buf, n).then((back) => {
      expect(back.length).toBe(4 << 20)
      reused++
      pool.push(back)
      pending.splice(pending.indexOf(p), 1)
    })
    pending.push(p)
  }
  await Promise.all(pending)
  return { hex: await h.digest(), reused }
}

describe('makeHasher', () => {
  const data = randomBytes(OFF_THREAD_BYTES + 5_000_123)

  it('hashes a big file on a hash thread, in order, and gives every buffer back (sha256 and git sha1)', async () => {
    const sha256 = await hashInBuffers(data, true)
    expect(sha256.hex).toBe(createHash('sha256').update(data).digest('hex'))
    expect(sha256.reused).toBe(Math.ceil(data.length / (4 << 20)))
    const sha1 = await hashInBuffers(data, false)
    expect(sha1.hex).toBe(createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex'))
  })

  it('hashes from the aligned pool’s shared memory on a hash thread without moving the buffers', async () => {
    const h = makeHasher({ size: data.length, lfs: true }, true)
    const bufs = [takeBuffer(), takeBuffer()]
    for (let pos = 0, i = 0; pos < data.length; pos += 4 << 20, i++) {
      const buf = bufs[i % 2] as Buffer
      const n = data.copy(buf, 0, pos, pos + (4 << 20))
      expect(await h.update(buf, n)).toBe(buf)
    }
    expect(await h.digest()).toBe(createHash('sha256').update(data).digest('hex'))
    for (const b of bufs) giveBuffer(b)
  })

  it('hashes a small file inline, the same way', async () => {
    const small = data.subarray(0, 1_000_000)
    expect((await hashInBuffers(small, true)).hex).toBe(createHash('sha256').update(small).digest('hex'))
  })

  it('files hashed at once on the threads do not mix', async () => {
    const other = Buffer.from(data).reverse()
    const [a, b] = await Promise.all([hashInBuffers(data, true), hashInBuffers(other, true)])
    expect(a.hex).toBe(createHash('sha256').update(data).digest('hex'))
    expect(b.hex).toBe(createHash('sha256').update(other).digest('hex'))
  })
})
