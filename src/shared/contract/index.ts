import type { ContractRouterClient, InferContractRouterOutputs } from '@orpc/contract'
import { engineContract } from './engine'
import { deploymentsContract } from './deployments'
import { gatewayContract } from './gateway'
import { gpuContract } from './gpu'
import { hostContract } from './host'
import { jobsContract } from './jobs'
import { modelsContract } from './models'
import { notificationsContract } from './notifications'
import { plannerContract } from './planner'
import { settingsContract } from './settings'
import { systemContract } from './system'
import { webuiContract } from './webui'

/** The one contract. Served over MessagePort (Electron), WebSocket /rpc and REST /api/v1. */
export const contract = {
  system: systemContract,
  settings: settingsContract,
  gpu: gpuContract,
  host: hostContract,
  jobs: jobsContract,
  models: modelsContract,
  deployments: deploymentsContract,
  engine: engineContract,
  webui: webuiContract,
  gateway: gatewayContract,
  notifications: notificationsContract,
  planner: plannerContract,
}

export type Contract = typeof contract
export type ApiClient = ContractRouterClient<Contract>
export type ApiOutputs = InferContractRouterOutputs<Contract>

export const API_PREFIX = '/api/v1'
export const RPC_PATH = '/rpc'
