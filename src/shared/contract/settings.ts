import { oc } from '@orpc/contract'
import { commonErrors } from '../errors'
import { SettingsUpdate, SettingsView } from '../settings'

export const settingsContract = {
  get: oc
    .route({ method: 'GET', path: '/settings', summary: 'Current settings (secrets only as set/not set)', tags: ['settings'] })
    .errors(commonErrors)
    .output(SettingsView),
  update: oc
    .route({
      method: 'PUT',
      path: '/settings',
      summary: 'Change settings; invalid input is rejected as a whole with the field named',
      tags: ['settings'],
    })
    .errors(commonErrors)
    .input(SettingsUpdate)
    .output(SettingsView),
}
