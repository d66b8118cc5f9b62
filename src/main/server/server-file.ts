import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface ServerFile {
  url: string
  token: string
}

export const serverFilePath = (configDir: string): string => join(configDir, 'server.json')

/** Reuses the token of the previous run so a browser's session cookie keeps working across restarts. */
export async function previousToken(configDir: string): Promise<string | undefined> {
  try {
    const parsed = JSON.parse(await readFile(serverFilePath(configDir), 'utf8')) as Partial<ServerFile>
    return typeof parsed.token === 'string' && parsed.token.length >= 32 ? parsed.token : undefined
  } catch {
    return undefined
  }
}

export async function writeServerFile(configDir: string, data: ServerFile): Promise<string> {
  await mkdir(configDir, { recursive: true })
  const path = serverFilePath(configDir)
  await rm(path, { force: true })
  await writeFile(path, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 })
  await chmod(path, 0o600)
  return path
}
