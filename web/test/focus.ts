import { afterEach } from 'vitest'

let focusFixup: MutationObserver | null = null
afterEach(() => {
  focusFixup?.disconnect()
  focusFixup = null
})

/**
 * emulateChromiumFocusFixup plays Chromium's "focus fixup", which jsdom lacks: a focused element that becomes
 * disabled (a busy button) loses focus to <body>. It lasts until the end of the test.
 */
export function emulateChromiumFocusFixup() {
  let fixing = false
  focusFixup = new MutationObserver((records) => {
    if (fixing) return
    for (const r of records) {
      const el = r.target as HTMLElement
      if (el === document.activeElement && el.hasAttribute('disabled')) {
        // jsdom ignores blur() on a disabled element: lift it for the blur.
        fixing = true
        el.removeAttribute('disabled')
        el.blur()
        el.setAttribute('disabled', '')
        queueMicrotask(() => (fixing = false))
      }
    }
  })
  focusFixup.observe(document.body, { attributes: true, attributeFilter: ['disabled'], subtree: true })
}
