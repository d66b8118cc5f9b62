export { default as Progress } from './Progress.vue'
