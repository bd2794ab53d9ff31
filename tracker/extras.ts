/**
 * Candor tracker extras, served as /js/extras.js. The core loads it after the page's load event,
 * so it never delays the first pageview, and it sends through the core (`window.candor`), which
 * applies the ignore rules and the consent tier.
 *
 * Both tiers: `Outbound Link: Click` and `File Download`. Consented tier only: `Click` on links
 * and buttons, `Form: Submission` (never a field's value), and the system-font probe whose
 * result the core sends as `f`.
 */
import { FONTS } from './fonts.ts'
import type { Candor, Hook } from './t.ts'

// Plausible's list of file extensions that count as downloads
const DOWNLOAD =
  /\.(pdf|xlsx|docx|txt|rtf|csv|exe|key|pps|pptx?|7z|pkg|rar|gz|zip|avi|mov|mp4|mpeg|wmv|midi|mp3|wav|wma|dmg|iso|msi)$/i

const GENERIC = ['monospace', 'serif', 'sans-serif']

const candor = window.candor as Candor
const hook = candor._ as Hook

/**
 * A font is installed when text set in it, falling back to a generic family, is not as wide as
 * text in that generic family alone. document.fonts.check is no use: it answers true for fonts
 * that do not exist.
 */
function probeFonts(): string[] {
  const context = document.createElement('canvas').getContext('2d')
  if (!context) return []
  const width = (family: string) => {
    context.font = '72px ' + family
    return context.measureText('mmmmmmmmmmlli').width
  }
  const generic = GENERIC.map(width)
  return FONTS.filter((font) => GENERIC.some((family, i) => width(`"${font}",${family}`) != generic[i]))
}

let fonts: string[] | undefined
hook.f = () => fonts || (fonts = probeFonts())

function onClick(event: MouseEvent): void {
  const clicked = event.target
  // a right click opens a menu, not the link; a click dispatched on the document has no element
  if (event.button > 1 || !(clicked instanceof Element)) return
  // typed as a link: on a button the link properties are undefined, which reads as "not a web link"
  const target = clicked.closest('a[href],button') as HTMLAnchorElement | null
  if (!target) return
  // only web links: a mailto: or tel: "path" is an address. The query and fragment may carry
  // personal data, so only origin and path are sent.
  const web = /^https?:$/.test(target.protocol)
  const url = target.origin + target.pathname
  if (web && DOWNLOAD.test(target.pathname)) candor('File Download', { props: { url } })
  else if (web && target.host != location.host) candor('Outbound Link: Click', { props: { url } })

  if (hook.c()) {
    const props: Record<string, string> = { tag: target.localName }
    // the label a visitor reads, never what they typed: buttons and links hold no field values
    const text = (target.getAttribute('aria-label') || target.textContent || '').replace(/\s+/g, ' ').trim()
    if (text) props.text = text.slice(0, 60)
    if (web) props.path = target.pathname
    candor('Click', { props })
  }
}

function onSubmit(event: SubmitEvent): void {
  if (!hook.c()) return
  const form = event.target as HTMLFormElement
  // attributes, not properties: a field named "id", "name" or "action" shadows the property
  const label =
    form.getAttribute('id') ||
    form.getAttribute('name') ||
    new URL(form.getAttribute('action') || '', location.href).pathname
  candor('Form: Submission', { props: { form: label } })
}

// capture phase: a page handler that stops propagation must not hide the click
document.addEventListener('click', onClick, true)
document.addEventListener('auxclick', onClick, true)
document.addEventListener('submit', onSubmit, true)
