import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { listeningInodes, portHolder, portInUseText } from './port-holder'

const linux = process.platform === 'linux'

describe('port holder', () => {
  it('reads listening sockets for a port from a /proc/net/tcp table', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0',
      '   1: 0100007F:1F40 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 5151 1 0 100 0 0 10 0',
      '   2: 00000000:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6161 1 0 100 0 0 10 0',
    ].join('\n')
    expect(listeningInodes(table, 8000)).toEqual(['4242']) // an established connection on 8000 is no listener
    expect(listeningInodes(table, 8001)).toEqual(['6161'])
    expect(listeningInodes(table, 9000)).toEqual([])
  })

  it.runIf(linux)('names another program that listens, with its pid; this process as InferAdmin itself', async () => {
    const child = spawn(process.execPath, [
      '-e',
      "require('net').createServer().listen(0,'127.0.0.1',function(){console.log(this.address().port)})",
    ])
    try {
      const port = await new Promise<number>((resolve) => child.stdout.once('data', (b: Buffer) => resolve(Number(b.toString()))))
      expect(await portHolder(port)).toEqual({ pid: child.pid, name: 'node' })
      expect(await portInUseText('127.0.0.1', port)).toBe(`Port ${port} is in use on 127.0.0.1 (by node, pid ${child.pid}).`)
    } finally {
      child.kill()
    }
    const own = createServer()
    const port = await new Promise<number>((resolve) => own.listen(0, '127.0.0.1', () => resolve((own.address() as { port: number }).port)))
    try {
      expect(await portInUseText('127.0.0.1', port)).toBe(`Port ${port} is in use on 127.0.0.1 (by InferAdmin itself).`)
    } finally {
      own.close()
    }
  })

  it('says nothing about a holder when no socket listens there', async () => {
    expect(await portHolder(1, '/nonexistent')).toBeNull()
  })
})
