import { createRouter, createWebHashHistory, type RouteComponent, type RouteRecordRaw } from 'vue-router'
import { navItems } from './nav'

const pages: Record<string, () => Promise<RouteComponent>> = {
  dashboard: () => import('@/features/dashboard/DashboardPage.vue'),
  models: () => import('@/features/models/ModelsPage.vue'),
  deployments: () => import('@/features/deployments/DeploymentsPage.vue'),
  gateway: () => import('@/features/gateway/GatewayPage.vue'),
  webui: () => import('@/features/webui/OpenWebUIPage.vue'),
  system: () => import('@/features/system/SystemPage.vue'),
  settings: () => import('@/features/settings/SettingsPage.vue'),
}

const routes: RouteRecordRaw[] = [
  ...navItems.map((item) => {
    const component = pages[item.name]
    if (!component) throw new Error(`no page for ${item.name}`)
    return { path: item.path, name: item.name, component, meta: { title: item.title } }
  }),
  { path: '/:rest(.*)*', redirect: '/' },
]

// Hash history: works the same under the Electron app:// protocol and the headless server
// (no server-side fallback route needed, reloads always hit index.html).
export const router = createRouter({ history: createWebHashHistory(), routes })

router.afterEach((to) => {
  const title = typeof to.meta.title === 'string' ? to.meta.title : ''
  document.title = title ? `${title} · InferAdmin` : 'InferAdmin'
})
