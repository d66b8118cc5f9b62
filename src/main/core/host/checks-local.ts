import { execFile } from 'node:child_process'
import { access, constants, statfs } from 'node:fs/promises'
import { dirname } from 'node:path'
import { HubApiError, whoAmI } from '@huggingface/hub'
import type { GpusSnapshot } from '../../../shared/contract/gpu'
import type { DoctorCheck } from '../../../shared/contract/host'
import type { StoreLocation } from '../../../shared/settings'

const GiB = 1024 ** 3
export const DISK_WARN_BYTES = 50 * GiB
export const DISK_FAIL_BYTES = 5 * GiB

function gib(bytes: number): string {
  return bytes >= 1024 * GiB ? `${(bytes / 1024 / GiB).toFixed(1)} TiB` : `${(bytes / GiB).toFixed(1)} GiB`
}

/** CUDA version the driver supports, from the `nvidia-smi` banner ("CUDA Version: 12.8"). */
export function cudaVersion(smiPath: string, signal?: AbortSignal): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(smiPath, [], { timeout: 5000, signal }, (err, stdout) => {
      const m = /CUDA Version\s*:\s*([\d.]+)/i.exec(String(stdout ?? ''))
      resolve(err && !m ? null : (m?.[1] ?? null))
    })
  })
}

/** Driver and CUDA versions, from the sampler's state (its fault when there is one). */
export function checkDriver(snap: GpusSnapshot, cuda: string | null): DoctorCheck {
  const title = 'NVIDIA driver and GPUs'
  if (snap.fault) return { id: 'driver', title, status: 'fail', detail: snap.fault.message, fix: snap.fault.fix }
  if (snap.status === 'starting' || snap.gpus.length === 0) {
    return {
      id: 'driver',
      title,
      status: 'warn',
      detail: 'Waiting for the first nvidia-smi sample.',
      fix: 'Run the doctor again in a few seconds.',
    }
  }
  const driver = snap.gpus.find((g) => g.driverVersion)?.driverVersion ?? 'unknown'
  const names = snap.gpus.map((g) => `GPU ${g.index}: ${g.name}`).join(', ')
  return {
    id: 'driver',
    title,
    status: 'ok',
    detail: `Driver ${driver}, CUDA ${cuda ?? 'unknown'}; ${snap.gpus.length} GPU(s): ${names}`,
    fix: null,
  }
}

async function existingAncestor(path: string): Promise<string> {
  let p = path
  for (;;) {
    try {
      await access(p)
      return p
    } catch {
      const up = dirname(p)
      if (up === p) return p
      p = up
    }
  }
}

/** Free space at each model store location (or the nearest existing parent, where it will be created). */
export async function checkDisks(stores: StoreLocation[], home: string): Promise<DoctorCheck[]> {
  return Promise.all(
    stores.map(async (store, i): Promise<DoctorCheck> => {
      const path = store.path.startsWith('~') ? home + store.path.slice(1) : store.path
      const title = `Disk space: ${store.label || `store ${i + 1}`}`
      const id = `disk:${i}`
      const at = await existingAncestor(path)
      try {
        await access(at, constants.W_OK)
      } catch {
        return {
          id,
          title,
          status: 'fail',
          detail: `${path} is not writable by this user (checked ${at}).`,
          fix: `Make it writable (\`sudo chown -R $USER ${at}\`) or pick another location in Settings → Model stores.`,
        }
      }
      const fs = await statfs(at)
      const free = Number(fs.bavail) * Number(fs.bsize)
      const total = Number(fs.blocks) * Number(fs.bsize)
      const detail = `${gib(free)} free of ${gib(total)} at ${path}${at === path ? '' : ` (not created yet; checked ${at})`}`
      if (free < DISK_FAIL_BYTES)
        return {
          id,
          title,
          status: 'fail',
          detail,
          fix: 'Free space there or add a store on a larger disk in Settings → Model stores; models need 5–150 GiB each.',
        }
      if (free < DISK_WARN_BYTES)
        return {
          id,
          title,
          status: 'warn',
          detail,
          fix: 'Large models need 15–150 GiB: free space there or add a store on a larger disk in Settings → Model stores.',
        }
      return { id, title, status: 'ok', detail, fix: null }
    }),
  )
}

const TOKEN_URL = 'https://huggingface.co/settings/tokens'

/** HF token saved, and accepted by the Hub when the Hub can be reached. */
/** `otherHubs`: Hubs a token is saved for (tokens are kept per Hub and never sent to another one). */
export async function checkHfToken(token: string | undefined, hubUrl: string, otherHubs: string[] = []): Promise<DoctorCheck> {
  const id = 'hf-token'
  const title = 'Hugging Face token'
  if (!token) {
    const others = otherHubs.length ? ` A token is saved for ${otherHubs.join(', ')}; it is not sent to this Hub.` : ''
    return {
      id,
      title,
      status: 'warn',
      detail: `No token saved for ${hubUrl}: public models download fine, gated ones (Llama, Gemma, …) cannot.${others}`,
      fix: `Create a read token for this Hub (at ${TOKEN_URL} for huggingface.co) and save it in Settings → Hugging Face token.`,
    }
  }
  try {
    const me = await whoAmI({
      accessToken: token,
      hubUrl,
      fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(6000) }),
    })
    return { id, title, status: 'ok', detail: `Valid token of ${me.name} at ${hubUrl}.`, fix: null }
  } catch (err) {
    if (err instanceof HubApiError && (err.statusCode === 401 || err.statusCode === 403)) {
      return {
        id,
        title,
        status: 'fail',
        detail: `The Hub at ${hubUrl} rejected the saved token (HTTP ${err.statusCode}).`,
        fix: `Create a new read token at ${TOKEN_URL} and save it in Settings → Hugging Face token.`,
      }
    }
    const why = err instanceof HubApiError ? `HTTP ${err.statusCode}` : (err as Error).message
    return {
      id,
      title,
      status: 'warn',
      detail: `A token is saved but could not be verified: the Hub at ${hubUrl} is unreachable (${why}).`,
      fix: 'Nothing to do offline; when online, run the doctor again to verify the token (check Settings → Hub endpoint if you use a mirror).',
    }
  }
}
