import { toast } from 'vue-sonner'

/** Copies text and says so; where the browser refuses (e.g. a plain-http page from another machine), says how instead. */
export async function copyText(text: string, what: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    toast.success(`${what} copied`)
    return true
  } catch {
    toast.error(`Could not copy the ${what.toLowerCase()}: select the text and copy it by hand.`)
    return false
  }
}
