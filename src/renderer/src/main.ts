import './assets/main.css'
import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router'
import '@/composables/useTheme' // applies the cached theme before the first paint

createApp(App).use(router).mount('#app')
