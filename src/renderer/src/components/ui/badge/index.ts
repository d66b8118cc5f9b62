export { default as Badge } from './Badge.vue'
export * from './variants'
