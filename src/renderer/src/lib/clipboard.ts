/**
 * Copies text. The Clipboard API exists only in secure contexts (https, localhost); the headless UI opened
 * over plain http from another machine is not one, so there the text goes through a hidden textarea and
 * execCommand('copy'), which browsers still allow inside a click.
 */
export async function copyText(text: string): Promise<void> {
  if (window.isSecureContext && navigator.clipboard) {
    await navigator.clipboard.writeText(text)
    return
  }
  const area = document.createElement('textarea')
  area.value = text
  area.setAttribute('readonly', '')
  area.style.position = 'fixed'
  area.style.opacity = '0'
  document.body.appendChild(area)
  area.select()
  try {
    if (!document.execCommand('copy')) throw new Error('copy refused')
  } finally {
    area.remove()
  }
}
