export { default as Toaster } from './Sonner.vue'
