/**
 * Candor core tracker, served as /js/script.js (and /t.js).
 *
 * Counts pageviews (SPA navigations included) and custom events and POSTs them as text/plain
 * JSON, which needs no CORS preflight. What an event carries depends on the visitor's analytics
 * consent (DESIGN.md, "Privacy model"): without it, or with Global Privacy Control, only the
 * anonymous tier; with it, screen size, fonts and days since the first visit as well. After the
 * page's load event it loads /js/extras.js (links, downloads, clicks, forms, the font probe),
 * which talks to the core through `window.candor` and the `Hook` below.
 *
 * A test holds the minified file to a gzip byte budget: keep it small.
 */

/** Options of a custom event: `candor('Signup', { props, revenue, callback })`. */
export interface EventOptions {
  props?: Record<string, string | number | boolean>
  revenue?: { amount: number | string; currency: string }
  /** called once the event is handed to the browser (or ignored), e.g. to navigate afterwards */
  callback?: () => void
}

/** What the core shares with extras.js, at `window.candor._`. Short names: they ship. */
export interface Hook {
  /** whether the consented tier applies right now (analytics consent and no GPC) */
  c(): boolean
  /** installed fonts from a fixed list; set by extras.js, which probes once and caches */
  f?(): string[]
}

/** `window.candor`: the page's API, also how extras.js sends its events. */
export interface Candor {
  (name: string, options?: EventOptions): void
  /** calls queued by the page's snippet before the tracker loaded */
  q?: IArguments[]
  _?: Hook
}

declare global {
  interface Window {
    candor?: Candor
    /** set by the consent banner */
    candorConsent?: { analytics?: boolean }
  }
  interface WindowEventMap {
    /** dispatched by the consent banner on every decision */
    'candor:consent': CustomEvent<{ analytics?: boolean }>
  }
  interface Navigator {
    globalPrivacyControl?: boolean
  }
  interface Document {
    prerendering?: boolean
  }
}

/** The JSON body of an event, as the server's ingest receives it (see the tracker contract). */
export interface EventPayload {
  n: string
  u: string
  d: string | null
  r: string | null
  h?: 1
  p?: EventOptions['props']
  $?: EventOptions['revenue']
  tz: string
  l: string
  c?: 1
  sw?: number
  sh?: number
  dpr?: number
  f?: string[]
  rv?: number
}

const win = window
const doc = document
const nav = navigator
const loc = location
// currentScript is null when the tracker is injected as a module or by some tag managers
const script = (doc.currentScript || doc.querySelector('script[data-domain]')) as HTMLScriptElement
const attr = (name: string) => script.getAttribute(name)
const hashRouting = attr('data-hash') != null
const endpoint = attr('data-api') || new URL('/api/event', script.src).href
const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone

const consented = () => (win.candorConsent || {}).analytics === true && !nav.globalPrivacyControl
const hook: Hook = { c: consented }

function ignored(): boolean {
  try {
    if (localStorage.candor_ignore == 'true') return true
  } catch {
    // storage blocked (sandboxed frame, disabled cookies): nothing to opt out with
  }
  return (
    !!nav.webdriver ||
    (attr('data-allow-local') == null &&
      (/^(localhost|127(\.\d+){3}|\[::1\])$/.test(loc.hostname) || loc.protocol == 'file:'))
  )
}

/**
 * Days since the first visit, from the visitor's local first-visit date kept in localStorage.
 * Called only in the consented tier, so nothing is stored without consent, and only the count
 * of days leaves the browser.
 */
function daysSinceFirstVisit(): number | undefined {
  try {
    // the local calendar date as YYYY-MM-DD; Date.parse reads both dates as UTC midnights,
    // so their difference is a whole number of days
    const today = new Date(Date.now() - new Date().getTimezoneOffset() * 6e4).toISOString().slice(0, 10)
    const days = (Date.parse(today) - Date.parse(localStorage.candor_fv)) / 864e5
    if (days >= 0) return days
    localStorage.candor_fv = today // none yet, unreadable, or the clock went back: start over
    return 0
  } catch {
    // storage blocked: send no rv
  }
}

function send(name: string, options: EventOptions = {}): void {
  const done = options.callback || (() => {})
  if (ignored()) return done()
  const payload: EventPayload = {
    n: name,
    u: loc.href,
    d: attr('data-domain'),
    r: doc.referrer || null,
    p: options.props,
    $: options.revenue,
    tz: timeZone,
    l: nav.language,
  }
  if (hashRouting) payload.h = 1
  if (consented()) {
    Object.assign(payload, {
      c: 1,
      sw: screen.width,
      sh: screen.height,
      dpr: devicePixelRatio,
      f: hook.f && hook.f(),
      rv: daysSinceFirstVisit(),
    })
  }
  const body = JSON.stringify(payload) // drops the undefined fields
  // sendBeacon survives navigation; it refuses when its queue is full, then fetch takes over
  if (nav.sendBeacon && nav.sendBeacon(endpoint, body)) done()
  else fetch(endpoint, { method: 'POST', body, keepalive: true }).then(done, done)
}

/** Path (and hash, with hash routing) of the last pageview: an unchanged URL is not recounted. */
let lastPage: string | undefined

function pageview(): void {
  const page = loc.pathname + (hashRouting ? loc.hash : '')
  if (page != lastPage) {
    lastPage = page
    send('pageview')
  }
}

function loadExtras(): void {
  const extras = doc.createElement('script')
  extras.src = new URL('/js/extras.js', script.src).href
  extras.nonce = script.nonce // a page with a CSP nonce would refuse the script without it
  doc.head.append(extras)
}

function start(): void {
  const queue = (win.candor && win.candor.q) || []
  win.candor = Object.assign(send, { _: hook })

  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method]
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args)
      pageview()
    }
  }
  win.addEventListener('popstate', pageview)
  if (hashRouting) win.addEventListener('hashchange', pageview)

  // a withdrawn consent takes the first-visit date off the device
  win.addEventListener('candor:consent', (event) => {
    if (!(event.detail || {}).analytics) {
      try {
        delete localStorage.candor_fv
      } catch {
        // storage blocked: nothing was stored
      }
    }
  })

  // a prerendered page counts when the visitor actually opens it
  if (doc.prerendering) doc.addEventListener('prerenderingchange', pageview)
  else pageview()

  // replay the snippet's queue after the pageview, so the visit starts with its page
  for (const args of queue) send(args[0], args[1])

  if (doc.readyState == 'complete') loadExtras()
  else win.addEventListener('load', loadExtras)
}

// a second copy of the script on the page must not count everything twice
if (!(win.candor && win.candor._)) start()
