export { default as ChartContainer } from './ChartContainer.vue'
export type { ChartConfig } from './types'
