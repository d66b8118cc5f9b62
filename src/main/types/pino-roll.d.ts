declare module 'pino-roll' {
  import type { DestinationStream } from 'pino'
  interface PinoRollOptions {
    file: string | (() => string)
    size?: string | number
    frequency?: string | number
    extension?: string
    limit?: { count?: number; removeOtherLogFiles?: boolean }
    mkdir?: boolean
    symlink?: boolean
    dateFormat?: string
    /** sonic-boom: write synchronously. */
    sync?: boolean
  }
  export default function pinoRoll(options: PinoRollOptions): Promise<DestinationStream & { end(): void; flushSync(): void }>
}
