/**
 * What the banner's browser tests share: the real Candor app on a real port (the "analytics.test"
 * host: banner, tracker, consent API), the fixture shop from test/fixtures/consent served as
 * www.shop.test (its site is shop.test, so cookies set on the parent domain are in play), real
 * Chromium, and a visitor: a fresh browser profile that watches every request its pages make.
 */
import { join } from 'node:path'
import type { Browser, BrowserContext, BrowserContextOptions, Page, Request } from 'playwright-core'
import { expect } from 'vitest'
import { BUILT_IN_TEXTS } from '../../server/consent/defaults.ts'
import { projectRoot } from '../../server/paths.ts'
import type { EventPayload } from '../../tracker/t.ts'
import type { ConsentHistory, StoredConsent } from '../../tracker/consent/protocol.ts'
import { createAdmin, type Agent } from '../helpers/accounts.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { launch, newContext, serveFixtures, type FixtureServer } from '../helpers/browser.ts'

export const EN = BUILT_IN_TEXTS.en
export const RU = BUILT_IN_TEXTS.ru
/** the titles of the default categories, in English */
export const TITLES = {
  necessary: EN.categories.necessary!.title,
  analytics: EN.categories.analytics!.title,
  marketing: EN.categories.marketing!.title,
}
export const SITE_HOST = 'www.shop.test'
/** keys a tracker event may carry in the anonymous tier (test/tracker/browser.test.ts) */
export const ANONYMOUS_KEYS = ['n', 'u', 'd', 'r', 'h', 'p', '$', 'tz', 'l']

export interface BannerSite {
  readonly t: TestApp
  /** an administrator, who may change the site's consent configuration */
  readonly admin: Agent
  readonly fixtures: FixtureServer
  readonly browser: Browser
  /** the Candor server's origin as pages know it */
  readonly candor: string
  /** POST /api/sites/shop.test/consent/versions: a new configuration version */
  configure(changes: Record<string, unknown>): Promise<void>
  /** a consent's history, read as its holder does: GET /api/consent/:id with the receipt */
  history(consent: Pick<StoredConsent, 'id' | 'receipt'>): Promise<ConsentHistory>
  close(): Promise<void>
}

export async function startBannerSite(): Promise<BannerSite> {
  const t = await startTestApp({ env: { TRUST_PROXY: 'false' } })
  await t.addSite('shop.test')
  const admin = await createAdmin(t)
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = t.app.server.address() as { port: number }
  const candor = `http://analytics.test:${port}`
  const fixtures = await serveFixtures({ root: join(projectRoot, 'test', 'fixtures', 'consent'), vars: { CANDOR: candor } })
  const browser = await launch()
  return {
    t,
    admin,
    fixtures,
    browser,
    candor,
    async configure(changes) {
      const response = await admin.request('POST', '/api/sites/shop.test/consent/versions', changes)
      expect(response.statusCode, response.body).toBe(201)
    },
    async history(consent) {
      const response = await t.app.inject({ method: 'GET', url: `/api/consent/${consent.id}`, headers: { 'x-consent-receipt': consent.receipt } })
      expect(response.statusCode, response.body).toBe(200)
      return response.json() as ConsentHistory
    },
    async close() {
      await browser?.close()
      await fixtures?.close()
      await t?.close()
    },
  }
}

export interface VisitorOptions extends BrowserContextOptions {
  /** the browser sends a Global Privacy Control signal */
  gpc?: boolean
}

/** A visitor's browser profile, and every request its pages sent. */
export class Visitor {
  readonly requests: Request[] = []
  page!: Page

  private constructor(
    readonly site: BannerSite,
    readonly context: BrowserContext,
  ) {}

  static async start(site: BannerSite, { gpc, ...options }: VisitorOptions = {}): Promise<Visitor> {
    const context = await newContext(site.browser, options)
    if (gpc) {
      // what a browser with the setting on exposes (Chromium has it behind a flag only)
      await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }))
      await context.setExtraHTTPHeaders({ 'sec-gpc': '1' })
    }
    const visitor = new Visitor(site, context)
    context.on('request', (request) => visitor.requests.push(request))
    visitor.page = await context.newPage()
    return visitor
  }

  /** Opens a fixture page of the shop and waits until the banner has its configuration. */
  async open(path = '/index.html'): Promise<void> {
    const config = this.page.waitForResponse((response) => response.url().includes('/api/consent/config'))
    await this.page.goto(this.site.fixtures.url(path, SITE_HOST))
    expect((await config).status()).toBe(200)
  }

  /** The first layer, by its role and name. */
  firstLayer() {
    return this.page.getByRole('region', { name: EN.title })
  }

  preferences() {
    return this.page.getByRole('dialog', { name: EN.preferences })
  }

  /** Waits until the last blocked script of the page (category "necessary") has run. */
  async scriptsHandled(): Promise<string[]> {
    await this.page.waitForFunction(() => ((window as { ran?: string[] }).ran ?? []).includes('necessary'))
    return this.ran()
  }

  /** The blocked scripts that ran on the current page, in order. */
  ran(): Promise<string[]> {
    return this.page.evaluate(() => (window as { ran?: string[] }).ran ?? [])
  }

  /** Waits until a decision is recorded and kept in the cookie; returns it. */
  async decided(method?: (consent: StoredConsent) => boolean): Promise<StoredConsent> {
    await this.page.waitForFunction(() => window.candor?.consent?.get() != null)
    for (;;) {
      const stored = await this.stored()
      if (stored && stored.categories.length > 0 && (!method || method(stored))) return stored
      await this.page.waitForTimeout(50)
    }
  }

  /** The `candor_consent` cookie, parsed. */
  async stored(): Promise<StoredConsent | null> {
    const cookie = (await this.context.cookies()).find((entry) => entry.name === 'candor_consent')
    return cookie ? (JSON.parse(decodeURIComponent(cookie.value)) as StoredConsent) : null
  }

  async cookieNames(): Promise<string[]> {
    return (await this.context.cookies()).map((cookie) => cookie.name).sort()
  }

  /** Google Consent Mode commands the page's dataLayer received, in order. */
  consentCommands(): Promise<unknown[][]> {
    return this.page.evaluate(() =>
      (window.dataLayer ?? []).map((command) => Array.from(command as ArrayLike<unknown>)).filter((command) => command[0] === 'consent'),
    )
  }

  /** What the tracker sent to the Candor server. */
  events(): EventPayload[] {
    return this.requests.filter((request) => request.method() === 'POST' && request.url().endsWith('/api/event')).map((request) => JSON.parse(request.postData() ?? '{}') as EventPayload)
  }

  /** Sends a custom event through the tracker and waits until it is on its way. */
  async track(name: string): Promise<EventPayload> {
    await this.page.waitForFunction(() => typeof window.candor?._ === 'object')
    const sent = this.page.waitForRequest((request) => request.url().endsWith('/api/event') && (request.postData() ?? '').includes(name))
    await this.page.evaluate((name) => window.candor!(name), name)
    return JSON.parse((await sent).postData()!) as EventPayload
  }

  /** Hosts the pages sent requests to. */
  hosts(): string[] {
    return [...new Set(this.requests.map((request) => new URL(request.url()).hostname))].sort()
  }

  close(): Promise<void> {
    return this.context.close()
  }
}

export function expectAnonymous(event: EventPayload): void {
  for (const key of Object.keys(event)) expect(ANONYMOUS_KEYS).toContain(key)
}

export function expectConsented(event: EventPayload): void {
  expect(event).toMatchObject({ c: 1, sw: expect.any(Number), sh: expect.any(Number) })
}
