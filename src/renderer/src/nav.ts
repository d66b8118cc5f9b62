import type { Component } from 'vue'
import { Activity, Boxes, LayoutDashboard, MessagesSquare, Network, Rocket, Settings } from 'lucide-vue-next'

export interface NavItem {
  name: string
  title: string
  path: string
  icon: Component
  group: 'workspace' | 'admin'
}

/** The sidebar, in order. Route names double as page ids. */
export const navItems: NavItem[] = [
  { name: 'dashboard', title: 'Dashboard', path: '/', icon: LayoutDashboard, group: 'workspace' },
  { name: 'models', title: 'Models', path: '/models', icon: Boxes, group: 'workspace' },
  { name: 'deployments', title: 'Deployments', path: '/deployments', icon: Rocket, group: 'workspace' },
  { name: 'gateway', title: 'Gateway', path: '/gateway', icon: Network, group: 'workspace' },
  { name: 'webui', title: 'Open WebUI', path: '/webui', icon: MessagesSquare, group: 'workspace' },
  { name: 'system', title: 'System', path: '/system', icon: Activity, group: 'admin' },
  { name: 'settings', title: 'Settings', path: '/settings', icon: Settings, group: 'admin' },
]
