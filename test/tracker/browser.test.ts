/**
 * The built tracker in real Chromium, against the HTML fixtures in test/fixtures/tracker.
 *
 * One fixture server plays three parts: the site (pages opened as http://siteN.shop.test:PORT,
 * a fresh host per test so a late beacon from one test never counts in another), the analytics
 * host (the built script.js and extras.js at http://analytics.test:PORT/js/, another origin, as
 * in production), and a recording endpoint at /api/event that keeps what the tracker sends.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { buildTracker } from '../../tracker/build.ts'
import type { EventOptions, EventPayload } from '../../tracker/t.ts'
import { type FixtureServer, type RecordedRequest, launch, newContext, serveFixtures } from '../helpers/browser.ts'

const FIXTURES = fileURLToPath(new URL('../fixtures/tracker/', import.meta.url))
const ENDPOINTS = ['/api/event', '/collect']
/** keys an event may carry in the anonymous tier; the consented tier adds c, sw, sh, dpr, f, rv */
const ANONYMOUS_KEYS = ['n', 'u', 'd', 'r', 'h', 'p', '$', 'tz', 'l']
const SECRET = 'hunter2-secret@example.com'

interface SentEvent extends EventPayload {
  request: RecordedRequest
}

let outDir: string
let server: FixtureServer
let browser: Browser
let context: BrowserContext
let page: Page
let siteHost: string
let testNumber = 0

beforeAll(async () => {
  outDir = await mkdtemp(path.join(tmpdir(), 'candor-tracker-browser-'))
  const bundles = await buildTracker(outDir)
  server = await serveFixtures({
    root: FIXTURES,
    files: { '/js/script.js': bundles.core, '/js/extras.js': bundles.extras },
    endpoints: ENDPOINTS,
    vars: (port) => ({ TRACKER: `http://analytics.test:${port}` }),
  })
  browser = await launch()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await rm(outDir, { recursive: true, force: true })
})

afterEach(() => context?.close())

async function startContext(options: BrowserContextOptions = {}): Promise<void> {
  siteHost = `site${++testNumber}.shop.test`
  context = await newContext(browser, options)
  page = await context.newPage()
}

/** Opens a fixture page on this test's site host (or another host). */
function open(pathname: string, host = siteHost, referer?: string) {
  return page.goto(server.url(pathname, host), referer ? { referer } : {})
}

function isEvent(request: RecordedRequest): boolean {
  return request.method === 'POST' && ENDPOINTS.includes(request.path)
}

function parse(request: RecordedRequest): SentEvent {
  return { ...(JSON.parse(request.body) as EventPayload), request }
}

/** Events sent from pages on `host`, in arrival order. */
function events(host = siteHost): SentEvent[] {
  return server.requests.filter(isEvent).map(parse).filter((event) => new URL(event.u).hostname === host)
}

/** Waits until `count` events from this test's site match, and returns them. */
async function waitForEvents(match: (event: SentEvent) => boolean, count = 1, host = siteHost): Promise<SentEvent[]> {
  await server.waitFor((request) => isEvent(request) && [parse(request)].some((e) => new URL(e.u).hostname === host && match(e)), count)
  return events(host).filter(match)
}

const named = (name: string) => (event: SentEvent) => event.n === name

/** Sends a custom event from the page and resolves when the tracker calls back. */
function track(name: string, options: Omit<EventOptions, 'callback'> = {}): Promise<void> {
  return page.evaluate(
    ([name, options]) => new Promise<void>((resolve) => window.candor!(name, { ...options, callback: resolve })),
    [name, options] as const,
  )
}

/**
 * Sends a marker event and waits for it: anything the page sent before has arrived by then
 * (beacons leave in order; the pause covers parallel connections).
 */
async function flush(host = siteHost): Promise<void> {
  const name = `Marker ${Math.random()}`
  await track(name)
  await waitForEvents(named(name), 1, host)
  await page.waitForTimeout(150)
}

/** What the consent banner does on a decision. */
function setConsent(analytics: boolean): Promise<void> {
  return page.evaluate((analytics) => {
    window.candorConsent = { analytics }
    window.dispatchEvent(new CustomEvent('candor:consent', { detail: { analytics } }))
  }, analytics)
}

/** extras.js has run once it has given the core its font probe. */
function extrasLoaded(): Promise<unknown> {
  return page.waitForFunction(() => typeof window.candor?._?.f === 'function')
}

const storedFirstVisit = () => page.evaluate(() => localStorage.getItem('candor_fv'))

function expectAnonymous(event: SentEvent): void {
  for (const key of Object.keys(event)) if (key !== 'request') expect(ANONYMOUS_KEYS).toContain(key)
}

/** Font families installed on this machine, as fontconfig lists them. */
function installedFamilies(): Set<string> {
  const output = execFileSync('fc-list', [':', 'family'], { encoding: 'utf8' })
  return new Set(output.split('\n').flatMap((line) => line.split(',')).map((family) => family.trim()).filter(Boolean))
}

/** The local calendar date in a time zone, as YYYY-MM-DD. */
function localDate(timeZone: string, daysAgo = 0): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone }).format(Date.now() - daysAgo * 864e5)
}

describe('pageviews', () => {
  test('sends a pageview with the anonymous payload as text/plain, without a preflight', async () => {
    await startContext()
    await open('/spa.html', siteHost, 'http://search.test/results?q=shoes')
    const [pageview] = await waitForEvents(named('pageview'))

    expect(pageview).toMatchObject({
      n: 'pageview',
      u: server.url('/spa.html', siteHost),
      d: 'shop.test',
      r: 'http://search.test/results?q=shoes', // as the browser gives it: the server drops the query
      tz: await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone),
      l: 'en-US',
    })
    expect(Object.keys(pageview!).filter((key) => key !== 'request').sort()).toEqual(['d', 'l', 'n', 'r', 'tz', 'u'])
    expect(pageview!.request.headers['content-type']).toMatch(/^text\/plain/)
    expect(pageview!.request.host).toBe('analytics.test')
    expect(server.requests.filter((request) => request.method === 'OPTIONS')).toEqual([])
    // the helper's browser looks like a visitor's, or every test below would be ignored
    expect(await page.evaluate(() => navigator.webdriver)).toBe(false)
    expect(await page.evaluate(() => localStorage.length)).toBe(0)
  })

  test('sends r: null without a referrer and the full href, query and fragment included', async () => {
    await startContext()
    await open('/spa.html?utm_source=news&session=abc#intro')
    const [pageview] = await waitForEvents(named('pageview'))
    expect(pageview).toMatchObject({ r: null, u: server.url('/spa.html?utm_source=news&session=abc#intro', siteHost) })
  })

  test('counts SPA navigations: pushState, replaceState to a new path, popstate; never an unchanged path', async () => {
    await startContext()
    await open('/spa.html')
    const paths = async (count: number) =>
      (await waitForEvents(named('pageview'), count)).map((event) => new URL(event.u).pathname + new URL(event.u).search)

    expect(await paths(1)).toEqual(['/spa.html'])
    await page.evaluate(() => history.pushState({}, '', '/spa/a'))
    expect(await paths(2)).toEqual(['/spa.html', '/spa/a'])
    await page.evaluate(() => history.pushState({}, '', '/spa/a?page=2')) // same path: not counted
    await page.evaluate(() => history.replaceState({}, '', '/spa/a?page=3')) // same path: not counted
    await page.evaluate(() => history.replaceState({}, '', '/spa/b'))
    expect(await paths(3)).toEqual(['/spa.html', '/spa/a', '/spa/b'])
    await page.evaluate(() => history.back()) // popstate to /spa/a
    expect(await paths(4)).toEqual(['/spa.html', '/spa/a', '/spa/b', '/spa/a'])
    await page.evaluate(() => (location.hash = '#section')) // no data-hash: a fragment is not a page
    await flush()
    expect(events().filter(named('pageview'))).toHaveLength(4)
  })

  test('with data-hash, counts hash routes and marks events h: 1', async () => {
    await startContext()
    await open('/hash.html')
    const hashes = async (count: number) => (await waitForEvents(named('pageview'), count)).map((event) => new URL(event.u).hash)

    expect(await hashes(1)).toEqual([''])
    await page.evaluate(() => (location.hash = '#/pricing'))
    expect(await hashes(2)).toEqual(['', '#/pricing'])
    await page.evaluate(() => (location.hash = '#/pricing')) // unchanged: not counted
    await page.evaluate(() => history.pushState({}, '', '#/cart'))
    expect(await hashes(3)).toEqual(['', '#/pricing', '#/cart'])
    await page.evaluate(() => history.back()) // popstate and hashchange: one pageview
    expect(await hashes(4)).toEqual(['', '#/pricing', '#/cart', '#/pricing'])
    await flush()
    const pageviews = events().filter(named('pageview'))
    expect(pageviews).toHaveLength(4)
    for (const pageview of pageviews) expect(pageview.h).toBe(1)
  })
})

describe('custom events', () => {
  test('replays calls the page queued before the tracker loaded', async () => {
    await startContext()
    await open('/index.html')
    const [queued] = await waitForEvents(named('Queued'))
    expect(queued).toMatchObject({ d: 'shop.test', p: { early: true } })
    expectAnonymous(queued!)
  })

  test('sends props and revenue, then calls back', async () => {
    await startContext()
    await open('/spa.html')
    await waitForEvents(named('pageview'))
    await track('Signup', { props: { plan: 'pro', seats: 3, trial: true }, revenue: { amount: '9.99', currency: 'EUR' } })
    const [signup] = await waitForEvents(named('Signup'))
    expect(signup).toMatchObject({
      p: { plan: 'pro', seats: 3, trial: true },
      $: { amount: '9.99', currency: 'EUR' },
      u: server.url('/spa.html', siteHost),
    })
    expectAnonymous(signup!)
  })

  test('data-api sends events to another endpoint', async () => {
    await startContext()
    await open('/api.html')
    const [pageview] = await waitForEvents(named('pageview'))
    expect(pageview!.request).toMatchObject({ host: 'collector.test', path: '/collect' })
    expect(server.requests.filter((request) => request.path === '/api/event' && request.body.includes(siteHost))).toEqual([])
  })

  test('falls back to fetch with keepalive when sendBeacon is missing, still text/plain', async () => {
    await startContext()
    await context.addInitScript(() => {
      delete (Navigator.prototype as Partial<Navigator>).sendBeacon
    })
    await open('/spa.html')
    const [pageview] = await waitForEvents(named('pageview'))
    expect(pageview!.request.headers['content-type']).toMatch(/^text\/plain/)
    await track('After fetch')
    await waitForEvents(named('After fetch'))
    expect(server.requests.filter((request) => request.method === 'OPTIONS')).toEqual([])
  })
})

describe('extras: links and downloads (both tiers)', () => {
  test('sends File Download and Outbound Link: Click with the URL minus query and fragment', async () => {
    await startContext()
    await open('/index.html')
    await extrasLoaded()
    await page.click('#download')
    const [download] = await waitForEvents(named('File Download'))
    expect(download!.p).toEqual({ url: server.url('/files/price-list.pdf', siteHost) })

    await page.click('#outbound') // navigates away: the beacon must survive
    const [outbound] = await waitForEvents(named('Outbound Link: Click'))
    expect(outbound!.p).toEqual({ url: server.url('/landing.html', 'partner.test') })
    await page.waitForURL(/partner\.test/)
    for (const event of events()) expectAnonymous(event)
    expect(events().filter(named('Click'))).toEqual([])
  })

  test('loads extras.js with the page’s CSP nonce', async () => {
    await startContext()
    const violations: string[] = []
    page.on('console', (message) => message.type() === 'error' && violations.push(message.text()))
    await open('/csp.html')
    await extrasLoaded()
    await page.click('#outbound')
    await waitForEvents(named('Outbound Link: Click'))
    expect(violations.filter((text) => /Content Security Policy/i.test(text))).toEqual([])
  })
})

describe('privacy tiers', () => {
  test('anonymous tier: no consented fields, no Click or Form: Submission, nothing stored', async () => {
    await startContext()
    await open('/index.html')
    await extrasLoaded()
    await page.fill('#email', SECRET)
    await page.click('#buy')
    await flush()
    expect(await page.evaluate(() => localStorage.length)).toBe(0)

    await page.click('#submit')
    await page.waitForURL(/thanks\.html/)
    await page.waitForTimeout(300)
    const names = events().map((event) => event.n).filter((name) => !name.startsWith('Marker'))
    expect(names.sort()).toEqual(['Queued', 'pageview']) // no Click, no Form: Submission
    for (const event of events()) {
      expectAnonymous(event)
      expect(event.request.body).not.toContain(SECRET)
    }
  })

  test('consent switches to the consented tier without a reload, and withdrawal switches back', async () => {
    const timeZone = 'Pacific/Kiritimati' // UTC+14: the first-visit date must be the local one
    await startContext({ timezoneId: timeZone, screen: { width: 1920, height: 1080 }, deviceScaleFactor: 2 })
    await open('/index.html')
    await extrasLoaded()
    await track('Before')
    expectAnonymous((await waitForEvents(named('Before')))[0]!)

    await setConsent(true)
    await track('After')
    const [after] = await waitForEvents(named('After'))
    expect(after).toMatchObject({ c: 1, sw: 1920, sh: 1080, dpr: 2, rv: 0, tz: timeZone })
    expect(await storedFirstVisit()).toBe(localDate(timeZone))

    // fonts: those fontconfig has are found, those it lacks are not
    const installed = installedFamilies()
    const fonts = after!.f!
    console.info(`fonts found: ${fonts.join(', ')}`)
    expect(fonts.length).toBeGreaterThan(0)
    const expectedPresent = ['DejaVu Sans', 'Liberation Sans'].filter((font) => installed.has(font))
    expect(expectedPresent.length).toBeGreaterThan(0)
    for (const font of expectedPresent) expect(fonts).toContain(font)
    // fonts without a metric-compatible stand-in (Arial has Liberation Sans, and Chromium takes it)
    for (const font of ['Comic Sans MS', 'Impact', 'Segoe UI', 'Menlo', 'Ubuntu']) {
      if (!installed.has(font)) expect(fonts).not.toContain(font)
    }
    expect(events().filter(named('pageview'))).toHaveLength(1) // consenting is not a new pageview

    await setConsent(false)
    await track('Withdrawn')
    expectAnonymous((await waitForEvents(named('Withdrawn')))[0]!)
    expect(await storedFirstVisit()).toBeNull()
  })

  test('consent given before the page loads: the pageview is consented; rv counts days since the first visit', async () => {
    await startContext()
    await context.addInitScript(() => {
      window.candorConsent = { analytics: true }
    })
    await open('/spa.html')
    const [pageview] = await waitForEvents(named('pageview'))
    expect(pageview).toMatchObject({ c: 1, rv: 0 })
    expect(pageview!.f).toBeUndefined() // fonts come with extras.js, after load

    const timeZone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)
    await page.evaluate((date) => localStorage.setItem('candor_fv', date), localDate(timeZone, 3))
    await extrasLoaded()
    await track('Later')
    const [later] = await waitForEvents(named('Later'))
    expect(later).toMatchObject({ c: 1, rv: 3 })
    expect(later!.f!.length).toBeGreaterThan(0)
  })

  test('consented tier: Click and Form: Submission, never a field value', async () => {
    await startContext()
    await open('/index.html')
    await extrasLoaded()
    await setConsent(true)
    await page.fill('#email', SECRET)

    await page.click('#buy')
    const [buy] = await waitForEvents(named('Click'))
    expect(buy!.p).toEqual({ tag: 'button', text: 'Buy now' })

    // a mailto: link has no web path to send; the page's handler keeps the mail client shut
    await page.evaluate(() => document.querySelector('#mail')!.addEventListener('click', (event) => event.preventDefault()))
    await page.click('#mail')
    const clicks = await waitForEvents(named('Click'), 2)
    expect(clicks[1]!.p).toEqual({ tag: 'a', text: 'Write to us' })

    await page.click('#submit')
    const [submission] = await waitForEvents(named('Form: Submission'))
    expect(submission).toMatchObject({ c: 1, p: { form: 'signup' } })
    expect((await waitForEvents(named('Click'), 3))[2]!.p).toEqual({ tag: 'button', text: 'Sign up' })
    await page.waitForURL(/thanks\.html/)

    for (const event of events()) {
      expect(event.request.body).not.toContain(SECRET)
      expect(event.request.body).not.toContain('field-named-id')
    }
  })

  test('consented tier: a link Click carries the link’s path without its query', async () => {
    await startContext()
    await open('/index.html')
    await extrasLoaded()
    await setConsent(true)
    await page.click('#internal')
    const [click] = await waitForEvents(named('Click'))
    expect(click!.p).toEqual({ tag: 'a', text: 'About us', path: '/about.html' })
  })

  test('Global Privacy Control keeps the anonymous tier even with consent', async () => {
    await startContext()
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true })
    })
    await open('/index.html')
    await extrasLoaded()
    await setConsent(true)
    await page.click('#buy')
    await track('With GPC')
    await flush()
    const sent = events()
    expect(sent.map((event) => event.n)).toContain('With GPC')
    for (const event of sent) expectAnonymous(event)
    expect(sent.filter(named('Click'))).toEqual([])
    expect(await page.evaluate(() => localStorage.length)).toBe(0)
  })
})

describe('ignored visits', () => {
  /** Nothing from `host` arrives, though the tracker ran (extras loaded, a call answered). */
  async function expectNothingSent(host = siteHost): Promise<void> {
    await extrasLoaded()
    await track('Ignored?')
    await page.waitForTimeout(300)
    expect(events(host)).toEqual([])
  }

  test('ignores localhost and 127.0.0.1 unless data-allow-local', async () => {
    await startContext()
    await open('/spa.html', '127.0.0.1')
    await expectNothingSent('127.0.0.1')
    await open('/spa.html', 'localhost')
    await expectNothingSent('localhost')

    await open('/local.html', '127.0.0.1')
    await waitForEvents(named('pageview'), 1, '127.0.0.1')
  })

  test('ignores a browser whose localStorage.candor_ignore is "true"', async () => {
    await startContext()
    await open('/spa.html')
    await waitForEvents(named('pageview'))
    await page.evaluate(() => localStorage.setItem('candor_ignore', 'true'))
    await track('Opted out')
    await page.reload()
    await page.evaluate(() => history.pushState({}, '', '/spa/next'))
    await page.waitForTimeout(300)
    expect(events().map((event) => event.n)).toEqual(['pageview'])
  })

  test('ignores automated browsers (navigator.webdriver)', async () => {
    await startContext()
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => true, configurable: true })
    })
    await open('/index.html')
    await expectNothingSent()
  })
})
