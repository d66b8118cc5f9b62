import type Dockerode from 'dockerode'
import { dockerUnreachable } from '../docker/errors'
import { httpUrl, portFree, reachHost } from '../docker/net'
import { AppError } from '../errors'
import type { Observed } from './webui-status'
import { WEBUI_LABEL, WEBUI_VOLUME } from './webui-spec'

/** Our Open WebUI container (the newest, if a crash left two); the setup container of a first start is not it. */
export async function findWebuiContainer(docker: Dockerode): Promise<Dockerode.ContainerInfo | undefined> {
  const filters = JSON.stringify({ label: [`${WEBUI_LABEL.kind}=webui`, `${WEBUI_LABEL.managed}=true`] })
  const list = await docker.listContainers({ all: true, filters })
  return list.sort((a, b) => b.Created - a.Created)[0]
}

/** The data volume's id label (tells a recreated volume from the one we know; '' on one without it); null without a volume. */
export async function webuiVolumeId(docker: Dockerode): Promise<string | null> {
  try {
    const v = (await docker.getVolume(WEBUI_VOLUME).inspect()) as { Labels?: Record<string, string> | null }
    return v.Labels?.[WEBUI_LABEL.volumeId] ?? ''
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null
    throw err
  }
}

/** Docker's view now; `previous` keeps the volume's presence when Docker does not answer. */
export async function observeWebui(docker: Dockerode, previous: Observed): Promise<Observed> {
  try {
    const c = await findWebuiContainer(docker)
    const info = c ? await docker.getContainer(c.Id).inspect() : undefined
    return { reachable: true, info, volume: (await webuiVolumeId(docker)) !== null }
  } catch (err) {
    const e = err as { statusCode?: number; message: string }
    // 404: the container went between the list and the inspect.
    return e.statusCode === 404
      ? { reachable: true, volume: previous.volume }
      : { reachable: false, error: e.message, volume: previous.volume }
  }
}

/** The data volume's size as Docker counts it (null when Docker has not computed it). */
export async function webuiDataSize(docker: Dockerode): Promise<{ volume: string; exists: boolean; sizeBytes: number | null }> {
  try {
    const df = (await docker.df()) as { Volumes?: { Name: string; UsageData?: { Size?: number } }[] }
    const v = df.Volumes?.find((x) => x.Name === WEBUI_VOLUME)
    const size = v?.UsageData?.Size
    return { volume: WEBUI_VOLUME, exists: !!v, sizeBytes: typeof size === 'number' && size >= 0 ? size : null }
  } catch (err) {
    throw dockerUnreachable(err)
  }
}

export async function assertPortFree(iface: string, port: number): Promise<void> {
  if (!(await portFree(iface, port)))
    throw new AppError('CONFLICT', `Port ${port} is in use on ${iface}.`, {
      fix: `Choose another port for Open WebUI, or stop what listens on port ${port}.`,
      fields: { port: `port ${port} is in use` },
    })
}

/** Where this process reaches Open WebUI published on `iface`:`port`. */
export const localWebuiUrl = (iface: string, port: number): string => httpUrl(reachHost(iface), port)
