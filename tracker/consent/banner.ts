/**
 * Candor consent banner, served as /js/consent.js (its look as /js/consent.css).
 *
 * Embedded before every other tag: `<script src="https://HOST/js/consent.js" data-domain="…">`.
 * Synchronously, before anything else on the page runs, it sets Google Consent Mode's defaults
 * (all denied), applies the decision stored in the `candor_consent` cookie (Consent Mode update,
 * `window.candorConsent` for the tracker) and installs `candor.consent`. Then it loads the site's
 * configuration from the Candor host; a missing, outdated (new policy version) or expired decision
 * is asked for, a Global Privacy Control signal refuses without asking, and scripts tagged
 * `type="text/plain" data-category` run once their category is granted. Every decision is
 * recorded by the server (POST /api/consent), which answers with the consent id and its secret
 * receipt that the cookie keeps. It talks to no one but the Candor host (policy promise 5).
 *
 * Texts arrive with the configuration, so the bundle carries none. A test holds JS + CSS to a
 * gzip byte budget: keep it small.
 */
import type { Candor } from '../t.ts'
import { deleteCookies, readStored, writeStored } from './cookies.ts'
import {
  type BannerConfig,
  CONSENT_MODE_TYPES,
  type ConsentMethod,
  type DecisionRequest,
  type DecisionResponse,
  type StoredConsent,
} from './protocol.ts'
import { runScripts } from './scripts.ts'
import { type Ui, createUi } from './ui.ts'

/** `candor.consent`: the page's handle on the visitor's decision. */
export interface ConsentApi {
  /** the decision in force, or null before one (or while an outdated one is asked again) */
  get(): Pick<StoredConsent, 'id' | 'receipt' | 'categories' | 'policyVersion' | 'time'> | null
  /** opens the preferences layer, e.g. from a "cookie settings" link */
  show(): void
  /** called after each decision is recorded, with what get() then returns */
  onChange(listener: (consent: ReturnType<ConsentApi['get']>) => void): void
}

declare module '../t.ts' {
  interface Candor {
    consent?: ConsentApi
  }
}

declare global {
  interface Window {
    dataLayer?: unknown[]
    candorConsent?: { analytics?: boolean }
  }
}

const VERSION = '1.0.0'
/** a stored decision is kept this much longer than it lasts, so that an expired one is seen */
const GRACE_DAYS = 30

const win = window
const doc = document
const nav = navigator
const script = (doc.currentScript || doc.querySelector('script[src*="/js/consent.js"]')) as HTMLScriptElement
// read now: browsers hide a nonce attribute's value once the page has loaded
const nonce = script.nonce || ''
const domain = script.getAttribute('data-domain') || location.hostname
const candorUrl = (path: string) => new URL(path, script.src).href
const domReady = new Promise((ready) => (doc.readyState == 'loading' ? doc.addEventListener('DOMContentLoaded', ready) : ready(0)))

// Google's snippet: the Consent Mode commands go to the dataLayer as `arguments` objects
function gtag(..._: unknown[]): void {
  ;(win.dataLayer = win.dataLayer || []).push(arguments)
}
const consentModes = (granted: string[]) => {
  const modes: Record<string, string | number> = {}
  for (const type of CONSENT_MODE_TYPES) modes[type] = granted.indexOf(type) < 0 ? 'denied' : 'granted'
  return modes
}
const defaults = consentModes([])
defaults.wait_for_update = 500

/**
 * The cookie's content. After an outdated decision is recorded as `expired_reprompt`, the cookie
 * keeps that consent with no categories: no decision is in force, but the next one names it as
 * its predecessor (and the reprompt is not recorded again on the next page).
 */
let stored = readStored()
const decided = () => (stored && stored.categories.length ? stored : null)

const listeners: Array<Parameters<ConsentApi['onChange']>[0]> = []
/** the categories in force, "necessary" included */
let granted = ['necessary']
let config: Promise<BannerConfig>

const api: ConsentApi = {
  get: () => {
    const consent = decided()
    return consent && { id: consent.id, receipt: consent.receipt, categories: consent.categories, policyVersion: consent.policyVersion, time: consent.time }
  },
  show: () => {
    config.then((site) => ui(site).then((layers) => layers.prefs(granted, !!(decided() || {}).gpc, !!decided())), () => {})
  },
  onChange: (listener) => {
    listeners.push(listener)
  },
}

/** What the tracker reads: window.candorConsent. */
function setState(categories: string[]) {
  granted = categories
  const state = { analytics: categories.indexOf('analytics') >= 0, categories }
  return (win.candorConsent = state)
}

/** Tells the page of a change: the tracker (`candor:consent`) and Google's tags. */
function publish(categories: string[], consentMode: string[]): void {
  const state = setState(categories)
  gtag('consent', 'update', consentModes(consentMode))
  win.dispatchEvent(new CustomEvent('candor:consent', { detail: state }))
}

// a second copy of the script on the page must not ask or record twice
if (!(win.candor && win.candor.consent)) {
  gtag('consent', 'default', defaults)
  const consent = decided()
  if (consent) publish(consent.categories, consent.consentMode)
  else setState(granted)

  // The tracker replaces window.candor with itself when it starts (and a page's snippet may have
  // put a queue there): whatever is assigned keeps `consent`.
  let page: Candor =
    win.candor ||
    function () {
      ;(page.q = page.q || []).push(arguments)
    }
  page.consent = api
  Object.defineProperty(win, 'candor', {
    configurable: true,
    get: () => page,
    set: (value: Candor) => {
      page = value
      if (value) value.consent = api
    },
  })

  doc.addEventListener('click', (event) => {
    const target = event.target as Element
    if (target.closest && target.closest('[data-candor-consent="open"]')) {
      event.preventDefault()
      api.show()
    }
  })

  config = fetch(candorUrl('/api/consent/config?domain=' + encodeURIComponent(domain)), { credentials: 'omit' }).then((response) =>
    response.ok ? response.json() : Promise.reject(response.status),
  )
  config.then(start, () => {
    // without the configuration nothing can be asked; the decision the visitor made still holds
    const consent = decided()
    if (consent) domReady.then(() => runScripts(consent.categories, nonce))
  })
}

let language = 'en'
let layers: Promise<Ui> | undefined

/** The layers, once: after the stylesheet (so they never show unstyled) and the body exist. */
function ui(site: BannerConfig): Promise<Ui> {
  return (layers =
    layers ||
    Promise.all([
      new Promise((loaded) => {
        const link = doc.createElement('link')
        link.rel = 'stylesheet'
        link.href = candorUrl('/js/consent.css')
        link.nonce = nonce
        link.onload = link.onerror = loaded
        doc.head.append(link)
      }),
      domReady,
    ]).then(() =>
      createUi(site, language, {
        decide: (method, categories) =>
          decide(
            site,
            method,
            method == 'accept_all' ? site.categories.map((category) => category.id) : necessary(site).concat(categories || []),
          ),
        download,
      }),
    ))
}

const necessary = (site: BannerConfig) => site.categories.filter((category) => category.necessary).map((category) => category.id)

/** The first of `<html lang>`, the browser's language and English that the site has texts for. */
function pickLanguage(site: BannerConfig): string {
  for (const wanted of [doc.documentElement.lang, nav.language]) {
    for (const tag of [wanted.toLowerCase(), wanted.toLowerCase().split('-')[0]]) {
      for (const key in site.texts) if (key.toLowerCase() == tag) return key
    }
  }
  return 'en'
}

function start(site: BannerConfig): void {
  language = pickLanguage(site)
  const consent = decided()
  if (consent && (consent.policyVersion != site.policyVersion || Date.now() - consent.time > site.expiryDays * 864e5)) {
    record(site, 'expired_reprompt', necessary(site), consent)
    stored = { id: consent.id, receipt: consent.receipt, categories: [], consentMode: [], policyVersion: consent.policyVersion, time: consent.time }
    writeStored(stored, site.expiryDays + GRACE_DAYS)
    apply(site, necessary(site))
  } else if (consent) {
    // decided and current: what was granted may run; what was refused must not linger
    return apply(site, consent.categories, true)
  } else apply(site, necessary(site), true)
  if (nav.globalPrivacyControl) decide(site, 'gpc', necessary(site))
  else ui(site).then((layers) => layers.ask())
}

/**
 * Puts a decision in force on this page at once, before the server has recorded it: Consent Mode,
 * the tracker, blocked scripts; refused categories lose their cookies.
 */
function apply(site: BannerConfig, categories: string[], unchanged?: boolean): void {
  const refused = site.categories.filter((category) => categories.indexOf(category.id) < 0)
  if (!unchanged) {
    const modes: string[] = []
    for (const category of site.categories) if (categories.indexOf(category.id) >= 0) modes.push(...category.consentMode)
    publish(categories, modes)
  }
  const cookies: string[] = []
  for (const category of refused) for (const service of category.services) cookies.push(...service.cookies)
  deleteCookies(cookies)
  domReady.then(() => runScripts(categories, nonce))
}

function decide(site: BannerConfig, method: ConsentMethod, categories: string[]): void {
  if (layers) layers.then((ui) => ui.hide())
  apply(site, categories)
  record(site, method, categories)
}

let recording: Promise<unknown> = Promise.resolve()

/**
 * Sends a decision to the server, one after another, so that a second decision made while the
 * first is on its way names the consent id the first one got.
 */
function record(site: BannerConfig, method: ConsentMethod, categories: string[], of?: StoredConsent): void {
  recording = recording
    .then(() => {
      const previous = of || decided()
      const request: DecisionRequest = {
        domain,
        method,
        granted: categories,
        configVersion: site.configVersion,
        language,
        path: location.pathname,
        gpc: !!nav.globalPrivacyControl,
        clientTime: Date.now(),
        bannerVersion: VERSION,
      }
      if (previous) {
        request.consentId = previous.id
        request.receipt = previous.receipt
        // taking back anything granted before is a withdrawal, whichever button did it
        if (method != 'expired_reprompt' && previous.categories.some((category) => categories.indexOf(category) < 0)) request.method = 'withdraw'
      } else if (stored) request.previous = { consentId: stored.id, receipt: stored.receipt }
      return fetch(candorUrl('/api/consent'), { method: 'POST', body: JSON.stringify(request), keepalive: true, credentials: 'omit' })
    })
    .then((response) => (response.ok ? (response.json() as Promise<DecisionResponse>) : Promise.reject(response.status)))
    .then((answer) => {
      if (method == 'expired_reprompt') return
      stored = {
        id: answer.consentId,
        receipt: answer.receipt,
        categories: answer.granted,
        consentMode: answer.consentMode,
        policyVersion: answer.policyVersion,
        time: Date.parse(answer.time),
      }
      if (method == 'gpc') stored.gpc = true
      writeStored(stored, site.expiryDays + GRACE_DAYS)
      for (const listener of listeners) listener(api.get())
    })
    .catch((status) => {
      // The server knows no such consent (its site was removed and added again, say): the
      // decision starts a new one. Otherwise (offline, server down) it holds on this page and is
      // asked again on the next.
      if (status == 404 && stored && method != 'expired_reprompt') {
        stored = null
        record(site, method, categories)
      }
    })
}

/** "Download my consent record": the history the server keeps, as a JSON file. */
function download(): void {
  const consent = decided()
  if (!consent) return
  fetch(candorUrl('/api/consent/' + encodeURIComponent(consent.id)), { headers: { 'x-consent-receipt': consent.receipt }, credentials: 'omit' })
    .then((response) => (response.ok ? response.blob() : Promise.reject(response.status)))
    .then((file) => {
      const link = doc.createElement('a')
      link.href = URL.createObjectURL(file)
      link.download = 'consent-' + consent.id + '.json'
      link.click()
      setTimeout(() => URL.revokeObjectURL(link.href), 1e4)
    })
    .catch(() => {})
}
