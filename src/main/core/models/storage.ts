import { stat } from 'node:fs/promises'
import type { StorageLocationInfo } from '../../../shared/contract/models'
import { diskSpace } from '../disk'
import { scanLocation } from './scan'

type Location = Pick<StorageLocationInfo, 'path' | 'label' | 'isDefault'>

/** Per store location: whether it exists, the filesystem's size and free space, and what the models in it take. */
export async function storageReport(locations: Location[]): Promise<StorageLocationInfo[]> {
  const out: StorageLocationInfo[] = []
  for (const l of locations) {
    const models = await scanLocation(l.path)
    try {
      const d = await diskSpace(l.path)
      const exists = await stat(l.path).then(
        () => true,
        () => false,
      )
      const usedByModels = models.reduce((a, m) => a + m.blobBytes + m.incompleteBytes, 0)
      out.push({ ...l, exists, totalBytes: d.totalBytes, freeBytes: d.freeBytes, usedByModels, models: models.length })
    } catch (err) {
      out.push({ ...l, exists: false, totalBytes: 0, freeBytes: 0, usedByModels: 0, models: 0, error: (err as Error).message })
    }
  }
  return out
}
