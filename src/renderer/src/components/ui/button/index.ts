export { default as Button } from './Button.vue'
export * from './variants'
