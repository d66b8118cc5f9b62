export { DialogRoot as Dialog, DialogClose, DialogTrigger } from 'reka-ui'
export { default as DialogContent } from './DialogContent.vue'
export { default as DialogDescription } from './DialogDescription.vue'
export { default as DialogTitle } from './DialogTitle.vue'
