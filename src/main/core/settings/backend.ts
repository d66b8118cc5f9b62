/**
 * Storage seams for settings and secrets. The core never imports electron: the desktop shell passes an
 * electron-store file and a safeStorage codec, the headless server a `conf` file and a plain codec
 * (protected by a 0600 file mode).
 */

/** A JSON key-value file. Both `conf` and `electron-store` (which extends conf) satisfy this. */
export interface KeyValueFile {
  readonly path: string
  store: Record<string, unknown>
}

/**
 * Opens the settings file. May throw when the file is corrupt (invalid JSON); the settings service then
 * backs the file up and opens a fresh one.
 */
export type KeyValueFileFactory = () => KeyValueFile

/** Encrypts secrets at rest. */
export interface SecretCodec {
  /** Human description for logs/doctor, e.g. "Electron safeStorage (gnome_libsecret)". */
  readonly kind: string
  encrypt(plain: string): Buffer
  decrypt(data: Buffer): string
}

/** Headless codec: no encryption layer; confidentiality comes from the 0600 file in the config dir. */
export const fileModeCodec: SecretCodec = {
  kind: 'file (mode 0600)',
  encrypt: (plain) => Buffer.from(plain, 'utf8'),
  decrypt: (data) => {
    const text = data.toString('utf8')
    // Written by the desktop app with the OS keychain (see shell/settings-store.ts): unreadable here.
    if (text.startsWith(KEYCHAIN_PREFIX)) throw new Error('encrypted with the desktop keychain; not readable headless')
    return text
  },
}

/** Prefix the desktop codec puts on keychain-encrypted values. */
export const KEYCHAIN_PREFIX = 'ia-ss1:'
