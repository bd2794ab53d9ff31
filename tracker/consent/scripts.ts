/**
 * Script blocking, in the convention vanilla-cookieconsent users already have in their pages:
 * `<script type="text/plain" data-category="analytics" [data-service="…"]>` (inline or src) is
 * inert until its category is granted; then it is re-inserted as a real script.
 */

let running: Promise<void> = Promise.resolve()

/**
 * Runs the blocked scripts of the granted categories, in document order, each once. A script with
 * a src is awaited before the next one (unless it says async), as the parser would, since a later
 * inline script often calls what an earlier one defined. A strict Content-Security-Policy allows
 * only scripts carrying its nonce, so each gets the consent script's own.
 */
export function runScripts(granted: string[], nonce: string): Promise<void> {
  return (running = running.then(async () => {
    const blocked = document.querySelectorAll<HTMLScriptElement>('script[type="text/plain"][data-category]')
    for (const old of Array.from(blocked)) {
      if (!old.isConnected || granted.indexOf(old.getAttribute('data-category')!) < 0) continue
      const fresh = document.createElement('script')
      for (const { name, value } of Array.from(old.attributes)) if (name != 'type' && name != 'nonce') fresh.setAttribute(name, value)
      // `data-type="module"` keeps a module a module
      const type = old.getAttribute('data-type')
      if (type) fresh.type = type
      fresh.nonce = old.nonce || nonce
      fresh.text = old.text
      // (a created script's `async` is true unless set, hence the attribute)
      if (fresh.src && !old.hasAttribute('async')) {
        await new Promise((loaded) => {
          fresh.onload = fresh.onerror = loaded
          old.replaceWith(fresh)
        })
      } else old.replaceWith(fresh)
    }
  }))
}
