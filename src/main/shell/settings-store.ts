import { ipcMain, safeStorage } from 'electron'
import ElectronStore from 'electron-store'
import type { KeyValueFileFactory, SecretCodec } from '../core/settings/backend'
import type { ShellLogger } from './logger'

/**
 * Desktop settings file: `<configDir>/settings.json` via electron-store. An unreadable file throws (no
 * silent reset) so the core's settings service can back it up and tell the user.
 */
export function electronSettingsFile(configDir: string): KeyValueFileFactory {
  return () => {
    const store = new ElectronStore({ cwd: configDir, name: 'settings', clearInvalidConfig: false })
    // electron-store registers a synchronous IPC channel for renderer-side stores. We have none, and the
    // RPC port is the app's only IPC channel, so take it down again.
    ipcMain.removeAllListeners('electron-store-get-data')
    return store
  }
}

/** Marks data encrypted by safeStorage; anything else is read as UTF-8 (the headless codec's format). */
const SAFE_STORAGE_TAG = Buffer.from('ia-ss1:')

/**
 * Secrets encrypted with the OS keychain through Electron safeStorage. Checked lazily (safeStorage is only
 * usable once the app is ready). Without a keychain it falls back to the headless format (plain text in a
 * 0600 file) and says so in the log; on Linux the `basic_text` backend is flagged as weak.
 */
export function createSafeStorageCodec(logger: ShellLogger): SecretCodec {
  let mode: { encrypted: boolean; kind: string } | undefined
  const probe = (): { encrypted: boolean; kind: string } => {
    if (mode) return mode
    const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os keychain'
    if (!safeStorage.isEncryptionAvailable()) {
      logger.warn({ backend }, 'OS keychain unavailable: secrets are stored unencrypted in a 0600 file')
      mode = { encrypted: false, kind: 'file (mode 0600; OS keychain unavailable)' }
    } else {
      if (backend === 'basic_text') {
        logger.warn({ backend }, 'no desktop keyring found: secrets are only obfuscated (safeStorage basic_text)')
      }
      mode = { encrypted: true, kind: `Electron safeStorage (${backend})` }
    }
    return mode
  }
  return {
    get kind() {
      return probe().kind
    },
    encrypt(plain: string): Buffer {
      if (!probe().encrypted) return Buffer.from(plain, 'utf8')
      return Buffer.concat([SAFE_STORAGE_TAG, safeStorage.encryptString(plain)])
    },
    decrypt(data: Buffer): string {
      const tagged = data.subarray(0, SAFE_STORAGE_TAG.length).equals(SAFE_STORAGE_TAG)
      if (!tagged) return data.toString('utf8')
      if (!probe().encrypted) throw new Error('secret was encrypted with the OS keychain, which is not available now')
      return safeStorage.decryptString(data.subarray(SAFE_STORAGE_TAG.length))
    },
  }
}
