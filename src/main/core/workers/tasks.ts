/** Tasks the CPU worker pool runs. Shared by the pool (types) and the worker entry (implementation). */
export type CpuTask =
  | { kind: 'sha256File'; path: string; start?: number; end?: number }
  | { kind: 'gitSha1File'; path: string }
  | { kind: 'parseJson'; text: string }
  | { kind: 'spin'; ms: number }

export interface CpuTaskResultMap {
  sha256File: { sha256: string; bytes: number }
  /** git blob id: sha1("blob <size>\0" + bytes) (Hub etag of non-LFS files). */
  gitSha1File: { sha1: string; bytes: number }
  parseJson: unknown
  spin: { iterations: number }
}

/** What the worker sends back: the result plus when it started (epoch ms) so waits can be measured. */
export interface WorkerEnvelope<R> {
  value: R
  startedAt: number
}
