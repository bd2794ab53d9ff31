/**
 * The consent banner in real Chromium, on a fixture shop (www.shop.test) that embeds it and the
 * tracker from a real Candor server (analytics.test), with Google Analytics, Yandex Metrica and an
 * advertising tag blocked by category: what a first visit does and does not do, Reject all, Accept
 * all, reopening and withdrawing, Global Privacy Control, a new policy version and an expired
 * decision, the downloadable record, and the page's API. Records are read back through the
 * public history route with the receipt from the cookie.
 */
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { BrowserContextOptions } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { DEFAULT_CATEGORIES } from '../../server/consent/defaults.ts'
import type { ConsentHistory, StoredConsent } from '../../tracker/consent/protocol.ts'
import { type BannerSite, EN, SITE_HOST, TITLES, Visitor, expectAnonymous, expectConsented, startBannerSite } from './banner-site.ts'

let site: BannerSite
let visitor: Visitor

beforeAll(async () => {
  site = await startBannerSite()
  // the shop's advertising tag and its cookie, in the marketing category
  await site.configure({
    categories: DEFAULT_CATEGORIES.map(({ id, consentMode, services }) => ({
      id,
      consentMode,
      services: id === 'marketing' ? [{ id: 'ads', name: 'Shop Ads', cookies: ['ad_id'] }] : services,
    })),
  })
})
afterAll(() => site?.close())
afterEach(() => visitor?.close())

async function visit(options: BrowserContextOptions & { gpc?: boolean } = {}): Promise<Visitor> {
  visitor = await Visitor.start(site, options)
  return visitor
}

const ALL_DENIED = {
  ad_storage: 'denied',
  ad_user_data: 'denied',
  ad_personalization: 'denied',
  analytics_storage: 'denied',
  functionality_storage: 'denied',
  personalization_storage: 'denied',
  security_storage: 'denied',
}
const NECESSARY_ONLY = { ...ALL_DENIED, functionality_storage: 'granted', security_storage: 'granted' }
const ALL_GRANTED = Object.fromEntries(Object.keys(ALL_DENIED).map((type) => [type, 'granted']))
const ANALYTICS_SCRIPTS = ['google-analytics', 'metrica', 'ym-init']

const methods = (history: ConsentHistory) => history.records.map((record) => record.method)

describe('a first visit', () => {
  test('shows the banner, sets no cookie, runs no blocked script and sends only the anonymous set, to no third party', async () => {
    const v = await visit()
    const page = v.page
    await v.open()
    const first = v.firstLayer()
    await expect.poll(() => first.isVisible()).toBe(true)
    // three choices of equal weight: same look, same size
    const buttons = first.getByRole('button')
    expect(await buttons.allTextContents()).toEqual([EN.acceptAll, EN.rejectAll, EN.preferences])
    const looks = await buttons.evaluateAll((elements) =>
      elements.map((element) => {
        const style = getComputedStyle(element)
        return [style.backgroundColor, style.color, style.fontSize, style.fontWeight, (element as HTMLElement).offsetHeight].join()
      }),
    )
    expect(new Set(looks).size).toBe(1)

    expect(await visitor.scriptsHandled()).toEqual(['necessary'])
    expect(await visitor.cookieNames()).toEqual([])
    expect(visitor.requests.some((request) => request.url().includes('/blocked/'))).toBe(false)
    expect(await page.evaluate(() => window.candor!.consent!.get())).toBeNull()

    // Consent Mode: denied by default, synchronously, and nothing granted since
    const atLoad = await page.evaluate(() => (window as unknown as { atLoad: { dataLayer: string; candorConsent: unknown } }).atLoad)
    expect(JSON.parse(atLoad.dataLayer)).toEqual([['consent', 'default', { ...ALL_DENIED, wait_for_update: 500 }]])
    expect(atLoad.candorConsent).toEqual({ analytics: false, categories: ['necessary'] })
    expect(await visitor.consentCommands()).toEqual([['consent', 'default', { ...ALL_DENIED, wait_for_update: 500 }]])

    const signup = await visitor.track('Signup')
    expectAnonymous(signup)
    for (const event of visitor.events()) expectAnonymous(event)
    expect(visitor.events().map((event) => event.n)).toContain('pageview')
    expect(visitor.hosts()).toEqual(['analytics.test', SITE_HOST])
    expect(await page.evaluate(() => localStorage.length)).toBe(0)
  })
})

describe('Reject all', () => {
  test('keeps the blocked scripts from ever running, records reject_all, and the tracker stays anonymous', async () => {
    const v = await visit()
    const page = v.page
    await v.open()
    await v.firstLayer().getByRole('button', { name: EN.rejectAll }).click()
    const stored = await visitor.decided()
    expect(stored).toMatchObject({ categories: ['necessary'], consentMode: ['functionality_storage', 'security_storage'], policyVersion: 1 })
    expect(stored.gpc).toBeUndefined()
    await expect.poll(() => visitor.firstLayer().isVisible()).toBe(false)
    expect(await visitor.cookieNames()).toEqual(['candor_consent'])
    expect(await visitor.consentCommands()).toEqual([
      ['consent', 'default', { ...ALL_DENIED, wait_for_update: 500 }],
      ['consent', 'update', NECESSARY_ONLY],
    ])

    const history = await site.history(stored)
    expect(history.domain).toBe('shop.test')
    expect(history.records).toHaveLength(1)
    expect(history.records[0]).toMatchObject({ method: 'reject_all', granted: ['necessary'], denied: ['analytics', 'marketing'], gpc: false, language: 'en', path: '/index.html', previousConsentId: null })

    // the next page: no banner, the choice applies before the configuration arrives, nothing runs
    await visitor.open()
    expect(await visitor.scriptsHandled()).toEqual(['necessary'])
    expect(await visitor.firstLayer().isVisible()).toBe(false)
    const atLoad = await page.evaluate(() => (window as unknown as { atLoad: { dataLayer: string; candorConsent: unknown } }).atLoad)
    expect(JSON.parse(atLoad.dataLayer)).toEqual([
      ['consent', 'default', { ...ALL_DENIED, wait_for_update: 500 }],
      ['consent', 'update', NECESSARY_ONLY],
    ])
    expect(atLoad.candorConsent).toEqual({ analytics: false, categories: ['necessary'] })
    expectAnonymous(await visitor.track('Signup'))
    for (const event of visitor.events()) expectAnonymous(event)
    expect(visitor.requests.some((request) => request.url().includes('/blocked/'))).toBe(false)
    expect(await visitor.cookieNames()).toEqual(['candor_consent'])
    // still one record: a page load records nothing
    expect(methods(await site.history(stored))).toEqual(['reject_all'])
  })
})

describe('Accept all', () => {
  test('runs the blocked scripts in order, grants Consent Mode, records accept_all, and the tracker switches to the full set at once', async () => {
    const v = await visit()
    const page = v.page
    await v.open()
    expectAnonymous(await visitor.track('Before'))
    const changes = page.evaluate(
      () => new Promise((resolve) => window.addEventListener('candor:consent', (event) => resolve(event.detail), { once: true })),
    )
    await v.firstLayer().getByRole('button', { name: EN.acceptAll }).click()
    expect(await changes).toEqual({ analytics: true, categories: ['necessary', 'analytics', 'marketing'] })
    // the tracker needs no reload
    expectConsented(await visitor.track('After'))

    const stored = await visitor.decided()
    expect(stored).toMatchObject({ categories: ['necessary', 'analytics', 'marketing'], policyVersion: 1 })
    expect([...stored.consentMode].sort()).toEqual(Object.keys(ALL_DENIED).filter((type) => type !== 'personalization_storage').sort())
    await page.waitForFunction(() => ((window as { ran?: string[] }).ran ?? []).includes('ads'))
    expect(await visitor.ran()).toEqual(['necessary', ...ANALYTICS_SCRIPTS, 'ads'])
    expect(await visitor.consentCommands()).toEqual([
      ['consent', 'default', { ...ALL_DENIED, wait_for_update: 500 }],
      ['consent', 'update', { ...ALL_GRANTED, personalization_storage: 'denied' }],
    ])
    expect(await visitor.cookieNames()).toEqual(['_ga', '_ga_K3Y', '_ym_uid', 'ad_id', 'candor_consent'])
    expect((await visitor.context.cookies()).find((cookie) => cookie.name === '_ym_uid')!.domain).toBe('.shop.test')
    expect(methods(await site.history(stored))).toEqual(['accept_all'])
    expect(await page.evaluate(() => window.candor!.consent!.get())).toEqual({
      id: stored.id,
      receipt: stored.receipt,
      categories: stored.categories,
      policyVersion: 1,
      time: stored.time,
    })

    // the next page: Consent Mode granted synchronously, the scripts run, the full set from the first pageview
    await visitor.open()
    const atLoad = await page.evaluate(() => (window as unknown as { atLoad: { dataLayer: string } }).atLoad)
    expect(JSON.parse(atLoad.dataLayer)[1]).toEqual(['consent', 'update', { ...ALL_GRANTED, personalization_storage: 'denied' }])
    expect(await visitor.scriptsHandled()).toEqual([...ANALYTICS_SCRIPTS, 'ads', 'necessary'])
    const pageviews = visitor.events().filter((event) => event.n === 'pageview')
    expectConsented(pageviews[pageviews.length - 1]!)
    expect(await visitor.firstLayer().isVisible()).toBe(false)
    expect(visitor.hosts()).toEqual(['analytics.test', SITE_HOST])

    // the server stored the consented tier for the events sent with consent
    await site.t.flush()
    const tiers = await site.t.rows<{ name: string; tier: string }>("SELECT name, tier FROM events WHERE name IN ('Before', 'After')")
    expect(tiers.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'After', tier: 'consented' },
      { name: 'Before', tier: 'anonymous' },
    ])
  })
})

describe('reopening', () => {
  test('withdrawing deletes the services’ cookies, parent domain included, appends a withdraw record and stops the full set', async () => {
    const v = await visit()
    const page = v.page
    await v.open()
    await v.firstLayer().getByRole('button', { name: EN.acceptAll }).click()
    const accepted = await visitor.decided()
    await page.waitForFunction(() => ((window as { ran?: string[] }).ran ?? []).includes('ads'))
    await page.evaluate(() => {
      document.cookie = 'site_pref=compact; path=/; max-age=3600' // the site's own cookie, in no category
    })
    // a consented event: the tracker keeps the first-visit date
    expectConsented(await visitor.track('Consented'))
    expect(await page.evaluate(() => localStorage.getItem('candor_fv'))).not.toBeNull()
    const changes: unknown[] = []
    await page.exposeFunction('changed', (consent: unknown) => changes.push(consent))
    await page.evaluate(() => window.candor!.consent!.onChange((consent) => (window as unknown as { changed(c: unknown): void }).changed(consent)))

    // any element with data-candor-consent="open" reopens the choice, showing it
    await page.getByRole('link', { name: 'Cookie settings' }).click()
    const dialog = visitor.preferences()
    await expect.poll(() => dialog.isVisible()).toBe(true)
    expect(await dialog.getByRole('checkbox', { name: TITLES.analytics }).isChecked()).toBe(true)
    expect(await dialog.getByRole('checkbox', { name: TITLES.marketing }).isChecked()).toBe(true)
    const necessary = dialog.getByRole('checkbox', { name: TITLES.necessary })
    expect([await necessary.isChecked(), await necessary.isDisabled()]).toEqual([true, true])
    // each category lists its services and their cookies
    expect(await dialog.textContent()).toContain('Yandex Metrica · Cookies: _ym_uid')

    await dialog.getByRole('checkbox', { name: TITLES.analytics }).uncheck()
    await dialog.getByRole('button', { name: EN.save }).click()
    await expect.poll(() => dialog.isVisible()).toBe(false)
    const withdrawn = await visitor.decided((stored) => stored.categories.length === 2)
    expect(withdrawn).toMatchObject({ id: accepted.id, receipt: accepted.receipt, categories: ['necessary', 'marketing'] })
    expect(await visitor.cookieNames()).toEqual(['ad_id', 'candor_consent', 'site_pref'])
    expect(await page.evaluate(() => localStorage.getItem('candor_fv'))).toBeNull()
    expectAnonymous(await visitor.track('After withdrawal'))
    const commands = await visitor.consentCommands()
    expect(commands[commands.length - 1]).toEqual(['consent', 'update', { ...NECESSARY_ONLY, ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' }])
    await expect.poll(() => changes).toEqual([{ id: accepted.id, receipt: accepted.receipt, categories: ['necessary', 'marketing'], policyVersion: 1, time: withdrawn.time }])

    // withdrawing is as easy as giving: Reject all from the same layer takes back the rest
    await page.evaluate(() => window.candor!.consent!.show())
    await expect.poll(() => dialog.isVisible()).toBe(true)
    await dialog.getByRole('button', { name: EN.rejectAll }).click()
    await visitor.decided((stored) => stored.categories.length === 1)
    expect(await visitor.cookieNames()).toEqual(['candor_consent', 'site_pref'])

    const history = await site.history(accepted)
    expect(methods(history)).toEqual(['accept_all', 'withdraw', 'withdraw'])
    expect(history.records[1]).toMatchObject({ granted: ['necessary', 'marketing'], denied: ['analytics'] })

    // granting again later is the choice's own method, not a withdrawal
    await page.evaluate(() => window.candor!.consent!.show())
    await dialog.getByRole('checkbox', { name: TITLES.analytics }).check()
    await dialog.getByRole('button', { name: EN.save }).click()
    await visitor.decided((stored) => stored.categories.includes('analytics'))
    expect(methods(await site.history(accepted))).toEqual(['accept_all', 'withdraw', 'withdraw', 'custom'])
  })

  test('"download my consent record" saves the history as a JSON file', async () => {
    const v = await visit()
    const page = v.page
    await v.open()
    await v.firstLayer().getByRole('button', { name: EN.preferences }).click()
    const dialog = visitor.preferences()
    // no record yet, so nothing to download; no box is ticked but the necessary one
    expect(await dialog.getByRole('button', { name: EN.download }).count()).toBe(0)
    expect(await dialog.getByRole('checkbox', { checked: true }).count()).toBe(1)
    await dialog.getByRole('checkbox', { name: TITLES.marketing }).check()
    await dialog.getByRole('button', { name: EN.save }).click()
    const stored = await visitor.decided()
    expect(stored.categories).toEqual(['necessary', 'marketing'])

    await page.getByRole('link', { name: 'Cookie settings' }).click()
    const saved = page.waitForEvent('download')
    await dialog.getByRole('button', { name: EN.download }).click()
    const download = await saved
    expect(download.suggestedFilename()).toBe(`consent-${stored.id}.json`)
    const file = JSON.parse(await readFile((await download.path())!, 'utf8')) as ConsentHistory
    expect(file).toEqual(await site.history(stored))
    expect(methods(file)).toEqual(['custom'])
    // the receipt travelled in a header, never in a URL
    expect(visitor.requests.some((request) => request.url().includes(stored.receipt))).toBe(false)
  })
})

describe('a cookie the server does not know', () => {
  test('holds on the page; the next decision starts a new consent instead of failing', async () => {
    const config = await site.t.app.inject({ method: 'GET', url: '/api/consent/config?domain=shop.test' })
    const unknown: StoredConsent = {
      id: randomUUID(),
      receipt: 'not-a-receipt-the-server-issued',
      categories: ['necessary', 'analytics', 'marketing'],
      consentMode: ['analytics_storage'],
      policyVersion: config.json().policyVersion,
      time: Date.now(),
    }
    const v = await visit()
    await v.context.addCookies([{ name: 'candor_consent', value: encodeURIComponent(JSON.stringify(unknown)), domain: SITE_HOST, path: '/' }])
    await v.open()
    expect(await v.scriptsHandled()).toEqual([...ANALYTICS_SCRIPTS, 'ads', 'necessary'])
    await v.page.evaluate(() => window.candor!.consent!.show())
    await expect.poll(() => v.preferences().isVisible()).toBe(true)
    await v.preferences().getByRole('button', { name: EN.rejectAll }).click()
    const renewed = await v.decided((stored) => stored.id !== unknown.id)
    expect(renewed.categories).toEqual(['necessary'])
    expect((await site.history(renewed)).records).toMatchObject([{ method: 'reject_all', previousConsentId: null }])
  })
})

describe('Global Privacy Control', () => {
  test('refuses without asking, records gpc, says so in the preferences, and the visitor’s own choice overrides it', async () => {
    const v = await visit({ gpc: true })
    const page = v.page
    await v.open()
    const stored = await visitor.decided()
    expect(stored).toMatchObject({ categories: ['necessary'], gpc: true })
    expect(await visitor.firstLayer().isVisible()).toBe(false)
    expect(await visitor.scriptsHandled()).toEqual(['necessary'])
    expect((await site.history(stored)).records).toMatchObject([{ method: 'gpc', gpc: true, granted: ['necessary'] }])

    // a later page asks nothing and records nothing
    await visitor.open()
    expect(await visitor.scriptsHandled()).toEqual(['necessary'])
    expect(await visitor.firstLayer().isVisible()).toBe(false)
    expect(methods(await site.history(stored))).toEqual(['gpc'])

    await page.getByRole('link', { name: 'Cookie settings' }).click()
    const dialog = visitor.preferences()
    await expect.poll(() => dialog.isVisible()).toBe(true)
    expect(await dialog.getByText(EN.gpcHonoured).isVisible()).toBe(true)
    await dialog.getByRole('button', { name: EN.acceptAll }).click()
    const accepted = await visitor.decided((consent) => consent.categories.length === 3)
    expect(accepted.id).toBe(stored.id)
    expect(accepted.gpc).toBeUndefined()
    expect(methods(await site.history(stored))).toEqual(['gpc', 'accept_all'])
    await page.waitForFunction(() => ((window as { ran?: string[] }).ran ?? []).includes('ads'))

    await page.getByRole('link', { name: 'Cookie settings' }).click()
    await expect.poll(() => dialog.isVisible()).toBe(true)
    expect(await dialog.getByText(EN.gpcHonoured).isVisible()).toBe(false)
  })
})

describe('asking again', () => {
  test('a new policy version: the old consent gets expired_reprompt, the banner asks, the next decision names its predecessor', async () => {
    const v = await visit()
    const page = v.page
    await v.open()
    await v.firstLayer().getByRole('button', { name: EN.acceptAll }).click()
    const old = await visitor.decided()
    await page.waitForFunction(() => ((window as { ran?: string[] }).ran ?? []).includes('ads'))

    await site.configure({ newPolicyVersion: true })
    // a new profile with the same cookies: the configuration is not in its HTTP cache
    const state = await visitor.context.storageState()
    await visitor.close()
    const w = await visit({ storageState: state })
    const next = w.page
    await w.open()
    await expect.poll(() => visitor.firstLayer().isVisible()).toBe(true)
    expect(await next.evaluate(() => window.candor!.consent!.get())).toBeNull()
    // the old choice applied at load; once it is known to be outdated, it is taken back
    expect(await next.evaluate(() => window.candorConsent)).toEqual({ analytics: false, categories: ['necessary'] })
    expect(await visitor.cookieNames()).toEqual(['candor_consent'])
    expect(await visitor.scriptsHandled()).toEqual(['necessary'])
    await expect.poll(async () => methods(await site.history(old))).toEqual(['accept_all', 'expired_reprompt'])
    const reprompt = (await site.history(old)).records[1]!
    expect(reprompt).toMatchObject({ granted: ['necessary'], policyVersion: 2 })

    // another page before deciding: asked again, but the reprompt is not recorded twice
    await w.open()
    await expect.poll(() => visitor.firstLayer().isVisible()).toBe(true)
    await w.firstLayer().getByRole('button', { name: EN.rejectAll }).click()
    const renewed = await visitor.decided()
    expect(renewed.id).not.toBe(old.id)
    expect(renewed).toMatchObject({ categories: ['necessary'], policyVersion: 2 })
    expect((await site.history(renewed)).records).toMatchObject([{ method: 'reject_all', previousConsentId: old.id, policyVersion: 2 }])
    expect(methods(await site.history(old))).toEqual(['accept_all', 'expired_reprompt'])
  })

  test('a decision older than the site’s expiry is asked again', async () => {
    await site.configure({ expiryDays: 30 })
    const v = await visit()
    const page = v.page
    await v.open()
    await v.firstLayer().getByRole('button', { name: EN.rejectAll }).click()
    const stored = await visitor.decided()
    // the cookie outlives the decision (by 30 days) so that the banner sees it has expired
    const cookie = (await visitor.context.cookies()).find((entry) => entry.name === 'candor_consent')!
    expect(cookie.expires * 1000 - Date.now()).toBeGreaterThan(59 * 864e5)
    // a decision made 31 days ago
    const aged = { ...stored, time: stored.time - 31 * 864e5 }
    await visitor.context.addCookies([{ ...cookie, value: encodeURIComponent(JSON.stringify(aged)) }])

    await visitor.open()
    await expect.poll(() => visitor.firstLayer().isVisible()).toBe(true)
    await expect.poll(async () => methods(await site.history(stored))).toEqual(['reject_all', 'expired_reprompt'])
    await page.getByRole('button', { name: EN.acceptAll }).click()
    const renewed = await visitor.decided((consent) => consent.id !== stored.id)
    expect((await site.history(renewed)).records).toMatchObject([{ method: 'accept_all', previousConsentId: stored.id }])
    await site.configure({ expiryDays: 182 })
  })
})
