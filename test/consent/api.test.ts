// The consent API as banners and staff use it, on the real embedded ClickHouse and on PGlite and
// the PostgreSQL server at DATABASE_URL: a site's configuration with its ETag, decisions appended
// as records whose texts hash the server computes, receipts that guard later decisions and the
// history, the link from an outdated consent to the next, versions of the configuration that never
// change, and bad input answered 4xx with nothing written.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROME, FIREFOX, startTestApp, type TestApp } from '../helpers/app.ts'
import { createAdmin, signUp, type Agent } from '../helpers/accounts.ts'
import { explainSkip, serverUrl } from '../helpers/postgres.ts'

explainSkip()

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
/** Sorted-key JSON, written here again so that the test does not trust the server's own. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort()
    return `{${keys.map((key) => `${JSON.stringify(key)}:${sortedJson((value as Record<string, unknown>)[key])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

const IP = '81.2.69.160' // GB in the test city database
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function consentSuite(postgres: 'pglite' | 'server') {
  let t: TestApp
  let manager: Agent
  let viewer: Agent
  let stranger: Agent

  beforeAll(async () => {
    t = await startTestApp({ postgres })
    const admin = await createAdmin(t)
    manager = await signUp(t)
    viewer = await signUp(t)
    stranger = await signUp(t)
    for (const domain of ['shop.test', 'other.test']) {
      expect((await admin.request('POST', '/api/sites', { domain })).statusCode).toBe(201)
      await t.app.sites.staff.add((await t.app.sites.get(domain)).id, manager.user.id, 'manager')
    }
    await t.app.sites.staff.add((await t.app.sites.get('shop.test')).id, viewer.user.id, 'viewer')
  })
  afterAll(() => t?.close())

  const config = (domain: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url: `/api/consent/config?domain=${encodeURIComponent(domain)}`, headers })

  const decide = (body: Record<string, unknown>, { ip = IP, userAgent = CHROME, raw }: { ip?: string; userAgent?: string; raw?: string } = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/api/consent',
      // As a browser sends it: the origin of the site's own page.
      headers: { 'content-type': 'text/plain', 'user-agent': userAgent, 'x-forwarded-for': ip, origin: `http://${typeof body.domain === 'string' ? body.domain : 'shop.test'}` },
      payload: raw ?? JSON.stringify(body),
    })

  const decision = (overrides: Record<string, unknown> = {}) => ({
    domain: 'shop.test',
    method: 'accept_all',
    granted: ['analytics', 'marketing'],
    configVersion: 1,
    language: 'en',
    path: '/pricing',
    gpc: false,
    clientTime: Date.now() - 1500,
    bannerVersion: '1.0.0',
    ...overrides,
  })

  const history = (consentId: string, receipt?: string) =>
    t.app.inject({ method: 'GET', url: `/api/consent/${consentId}`, headers: receipt === undefined ? {} : { 'x-consent-receipt': receipt } })

  const recordCount = async () => Number((await t.rows<{ n: number }>('SELECT count() AS n FROM consent_records'))[0]!.n)
  const versionCount = async () => Number((await t.app.postgres.query<{ n: number }>('SELECT count(*)::int AS n FROM consent_configs'))[0]!.n)

  /** Sends a request that must be refused, and checks that nothing was written. */
  async function refused(send: () => Promise<{ statusCode: number; json(): any }>, status: number) {
    const before = [await recordCount(), await versionCount()]
    const response = await send()
    expect(response.statusCode, JSON.stringify(response.json())).toBe(status)
    const body = response.json()
    expect(Object.keys(body).sort()).toEqual(body.field === undefined ? ['error', 'message'] : ['error', 'field', 'message'])
    expect([await recordCount(), await versionCount()]).toEqual(before)
    return body as { error: string; message: string; field?: string }
  }

  describe('the configuration banners load', () => {
    it("is the site's defaults at first: necessary first and on, analytics and marketing, texts in English and Russian", async () => {
      const response = await config('shop.test')
      expect(response.statusCode).toBe(200)
      expect(response.headers['access-control-allow-origin']).toBe('*')
      const body = response.json()
      expect(body).toMatchObject({ domain: 'shop.test', configVersion: 1, policyVersion: 1, policyUrl: null, expiryDays: 182 })
      expect(body.categories.map((category: { id: string; necessary: boolean }) => [category.id, category.necessary])).toEqual([
        ['necessary', true],
        ['analytics', false],
        ['marketing', false],
      ])
      const analytics = body.categories[1]
      expect(analytics.consentMode).toEqual(['analytics_storage'])
      expect(analytics.services.find((service: { id: string }) => service.id === 'google-analytics').cookies).toContain('_ga')
      expect(analytics.services.find((service: { id: string }) => service.id === 'yandex-metrica').cookies).toContain('_ym_uid')
      expect(body.categories[2].consentMode).toEqual(['ad_storage', 'ad_user_data', 'ad_personalization'])
      expect(Object.keys(body.texts).sort()).toEqual(['en', 'ru'])
      expect(body.texts.en).toMatchObject({ dir: 'ltr', acceptAll: 'Accept all', rejectAll: 'Reject all' })
      expect(body.texts.ru).toMatchObject({ acceptAll: 'Принять все', rejectAll: 'Отклонить все' })
      expect(Object.keys(body.texts.ru.categories).sort()).toEqual(['analytics', 'marketing', 'necessary'])
    })

    it('answers 304 to its ETag, and a different ETag once the configuration changes', async () => {
      const first = await config('shop.test')
      const etag = first.headers.etag as string
      expect(etag).toMatch(/^".+"$/)
      const again = await config('shop.test', { 'if-none-match': etag })
      expect(again.statusCode).toBe(304)
      expect(again.body).toBe('')
      // As a compressing proxy passes it on, and in a list.
      expect((await config('shop.test', { 'if-none-match': `W/${etag}` })).statusCode).toBe(304)
      expect((await config('shop.test', { 'if-none-match': `"stale", ${etag}` })).statusCode).toBe(304)
      await manager.request('POST', '/api/sites/other.test/consent/versions', { expiryDays: 90 })
      const other = await config('other.test')
      expect(other.headers.etag).not.toBe(etag)
      expect(other.json()).toMatchObject({ configVersion: 2, expiryDays: 90 })
    })

    it('answers a preflight for every banner route', async () => {
      for (const url of ['/api/consent', '/api/consent/config', '/api/consent/00000000-0000-4000-8000-000000000000']) {
        const response = await t.app.inject({ method: 'OPTIONS', url, headers: { origin: 'http://shop.test', 'access-control-request-method': 'GET' } })
        expect(response.statusCode).toBe(204)
        expect(response.headers['access-control-allow-headers']).toContain('X-Consent-Receipt')
      }
    })

    it('is written as version 1 when a site is added, not by whichever banner request comes first', async () => {
      const admin = await createAdmin(t)
      expect((await admin.request('POST', '/api/sites', { domain: 'fresh.test' })).statusCode).toBe(201)
      const site = await t.app.sites.get('fresh.test')
      expect(await t.app.postgres.query('SELECT version, policy_version FROM consent_configs WHERE site_id = $1', [site.id])).toEqual([{ version: 1, policy_version: 1 }])
    })

    it('refuses an unknown site (404) and a missing domain (400)', async () => {
      expect((await refused(() => config('nowhere.test'), 404)).error).toBe('not_found')
      expect((await refused(() => t.app.inject({ method: 'GET', url: '/api/consent/config' }), 400)).field).toBe('domain')
    })
  })

  describe('decisions', () => {
    it('the first gets a new consent id and a receipt; the record holds the hash of the texts shown, the country and browser, never the IP', async () => {
      const response = await decide(decision())
      expect(response.statusCode).toBe(201)
      const body = response.json()
      expect(body.consentId).toMatch(UUID)
      expect(body.receipt.length).toBeGreaterThanOrEqual(32)
      expect(body).toMatchObject({
        granted: ['necessary', 'analytics', 'marketing'],
        denied: [],
        consentMode: ['functionality_storage', 'security_storage', 'analytics_storage', 'ad_storage', 'ad_user_data', 'ad_personalization'],
        policyVersion: 1,
      })
      const served = (await config('shop.test')).json()
      const shown = { categories: served.categories, policyUrl: served.policyUrl, texts: served.texts.en }
      const [row] = await t.rows<Record<string, unknown>>('SELECT * FROM consent_records WHERE consent_id = {id:UUID}', { id: body.consentId })
      expect(row).toMatchObject({
        method: 'accept_all',
        texts_sha256: sha256(sortedJson(shown)),
        country_code: 'GB',
        browser: 'Chrome',
        path: '/pricing',
        language: 'en',
        config_version: 1,
        policy_version: 1,
        banner_version: '1.0.0',
        gpc: false,
        previous_consent_id: null,
        receipt_sha256: sha256(body.receipt),
      })
      // Nothing of the address, and the receipt only as its hash.
      const stored = JSON.stringify(await t.rows('SELECT * FROM consent_records'))
      expect(stored).not.toContain(IP)
      expect(stored).not.toContain('81.2.69')
      expect(stored).not.toContain(body.receipt)
    })

    it('a later decision presents the receipt and is appended to the same consent; the history reads them oldest first', async () => {
      const first = (await decide(decision())).json()
      const withdrawn = await decide(decision({ method: 'withdraw', granted: ['marketing'], consentId: first.consentId, receipt: first.receipt }), { userAgent: FIREFOX })
      expect(withdrawn.statusCode).toBe(201)
      expect(withdrawn.json()).toMatchObject({ consentId: first.consentId, receipt: first.receipt, granted: ['necessary', 'marketing'], denied: ['analytics'] })
      const read = await history(first.consentId, first.receipt)
      expect(read.statusCode).toBe(200)
      expect(read.headers['cache-control']).toBe('no-store')
      const { domain, records } = read.json()
      expect(domain).toBe('shop.test')
      expect(records.map((record: { method: string }) => record.method)).toEqual(['accept_all', 'withdraw'])
      expect(records[1]).toMatchObject({ granted: ['necessary', 'marketing'], denied: ['analytics'], browser: 'Firefox', country: 'GB', gpc: false, previousConsentId: null })
      expect(new Date(records[0].time).getTime()).toBeLessThanOrEqual(new Date(records[1].time).getTime())
      expect(Math.abs(new Date(records[0].clientTime).getTime() - Date.now())).toBeLessThan(60_000)
      expect(JSON.stringify(records)).not.toContain(first.receipt)
    })

    it('a wrong or missing receipt reveals nothing and writes nothing', async () => {
      const first = (await decide(decision())).json()
      const unknown = await history('00000000-0000-4000-8000-000000000000', first.receipt)
      const wrong = await history(first.consentId, 'x'.repeat(32))
      expect(wrong.statusCode).toBe(404)
      expect(wrong.body).toBe(unknown.body)
      expect((await history(first.consentId)).statusCode).toBe(400)
      // The receipt in the URL is not how it is read.
      expect((await t.app.inject({ method: 'GET', url: `/api/consent/${first.consentId}?receipt=${first.receipt}` })).statusCode).toBe(400)
      await refused(() => decide(decision({ method: 'withdraw', granted: [], consentId: first.consentId, receipt: 'y'.repeat(32) })), 404)
      await refused(() => decide(decision({ method: 'withdraw', granted: [], consentId: first.consentId })), 400)
      // A consent of one site cannot be continued on another.
      await refused(() => decide(decision({ domain: 'other.test', configVersion: 1, method: 'reject_all', granted: [], consentId: first.consentId, receipt: first.receipt })), 404)
    })

    it('refuses what the configuration does not allow, naming the field, and writes nothing', async () => {
      expect((await refused(() => decide(decision({ granted: ['analytics', 'newsletter'] })), 400)).field).toBe('granted')
      expect((await refused(() => decide(decision({ granted: ['analytics'] })), 400)).field).toBe('granted')
      expect((await refused(() => decide(decision({ method: 'reject_all', granted: ['analytics'] })), 400)).field).toBe('granted')
      expect((await refused(() => decide(decision({ method: 'gpc', granted: [] })), 400)).field).toBe('gpc')
      expect((await refused(() => decide(decision({ method: 'withdraw', granted: [] })), 400)).field).toBe('consentId')
      expect((await refused(() => decide(decision({ method: 'expired_reprompt', granted: [] })), 400)).field).toBe('consentId')
      expect((await refused(() => decide(decision({ configVersion: 99 })), 400)).field).toBe('configVersion')
      expect((await refused(() => decide(decision({ language: 'de' })), 400)).field).toBe('language')
      for (const language of ['constructor', 'toString', '__proto__', 'valueOf']) {
        expect((await refused(() => decide(decision({ language })), 400)).field).toBe('language')
      }
      expect((await refused(() => decide(decision({ method: 'maybe' })), 400)).field).toBe('method')
      expect((await refused(() => decide(decision({ path: 'pricing' })), 400)).field).toBe('path')
      expect((await refused(() => decide(decision({ clientTime: 1 })), 400)).field).toBe('clientTime')
      expect((await refused(() => decide(decision({ ip: '1.2.3.4' })), 400)).field).toBe('ip')
      expect((await refused(() => decide(decision({ consentId: 'not-a-uuid', receipt: 'z'.repeat(32), method: 'custom', granted: [] })), 400)).field).toBe('consentId')
      expect((await refused(() => decide(decision({ receipt: 'z'.repeat(32) })), 400)).field).toBe('consentId')
      expect((await refused(() => decide({}, { raw: '{"domain":' }), 400)).error).toBe('invalid_request')
      expect((await refused(() => decide({}, { raw: 'x'.repeat(9000) }), 413)).error).toBeDefined()
      expect((await refused(() => decide(decision({ domain: 'nowhere.test' })), 404)).error).toBe('not_found')
      // A page of another site cannot fill this one's records.
      const foreign = () =>
        t.app.inject({ method: 'POST', url: '/api/consent', headers: { 'content-type': 'text/plain', origin: 'https://evil.example' }, payload: JSON.stringify(decision()) })
      expect((await refused(foreign, 403)).error).toBe('forbidden')
      // Still up, still answering.
      expect((await decide(decision({ method: 'reject_all', granted: [] }))).statusCode).toBe(201)
    })

    it('keeps only the path of the page, never its query string or fragment', async () => {
      const made = (await decide(decision({ path: '/checkout?email=alice@example.com&token=abc#step-2' }))).json()
      const [row] = await t.rows<{ path: string }>('SELECT path FROM consent_records WHERE consent_id = {id:UUID}', { id: made.consentId })
      expect(row!.path).toBe('/checkout')
    })

    it('a withdrawal takes back something granted before', async () => {
      const first = (await decide(decision({ method: 'custom', granted: ['analytics'] }))).json()
      await refused(() => decide(decision({ method: 'withdraw', granted: ['analytics', 'marketing'], consentId: first.consentId, receipt: first.receipt })), 400)
      expect((await decide(decision({ method: 'withdraw', granted: [], consentId: first.consentId, receipt: first.receipt }))).statusCode).toBe(201)
    })

    it('records a GPC refusal, and a later explicit choice of the same visitor with its own method', async () => {
      const gpc = (await decide(decision({ method: 'gpc', granted: [], gpc: true }))).json()
      expect(gpc).toMatchObject({ granted: ['necessary'], denied: ['analytics', 'marketing'], consentMode: ['functionality_storage', 'security_storage'] })
      const custom = await decide(decision({ method: 'custom', granted: ['analytics'], gpc: true, consentId: gpc.consentId, receipt: gpc.receipt }))
      expect(custom.statusCode).toBe(201)
      const records = (await history(gpc.consentId, gpc.receipt)).json().records
      expect(records.map((record: { method: string; gpc: boolean }) => [record.method, record.gpc])).toEqual([
        ['gpc', true],
        ['custom', true],
      ])
    })

    it('links a new consent to the outdated one it follows, after an expired_reprompt record on the old one', async () => {
      const old = (await decide(decision())).json()
      expect((await decide(decision({ method: 'expired_reprompt', granted: [], consentId: old.consentId, receipt: old.receipt }))).statusCode).toBe(201)
      await refused(() => decide(decision({ previous: { consentId: old.consentId, receipt: 'w'.repeat(32) } })), 404)
      const next = await decide(decision({ method: 'reject_all', granted: [], previous: { consentId: old.consentId, receipt: old.receipt } }))
      expect(next.statusCode).toBe(201)
      expect(next.json().consentId).not.toBe(old.consentId)
      const [record] = (await history(next.json().consentId, next.json().receipt)).json().records
      expect(record).toMatchObject({ method: 'reject_all', previousConsentId: old.consentId })
      expect((await history(old.consentId, old.receipt)).json().records.map((r: { method: string }) => r.method)).toEqual(['accept_all', 'expired_reprompt'])
    })

    it('serves /.well-known/gpc.json', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/.well-known/gpc.json' })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ gpc: true, lastUpdate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) })
    })
  })

  describe("the site's configuration, for staff", () => {
    it('a manager writes new versions; earlier ones, their texts and hashes never change, and decisions naming them still count', async () => {
      const before = (await manager.request('GET', '/api/sites/shop.test/consent')).json()
      const v1 = (await manager.request('GET', `/api/sites/shop.test/consent/versions/${before.current.version}`)).json()
      const changed = await manager.request('POST', '/api/sites/shop.test/consent/versions', {
        categories: [
          { id: 'analytics', consentMode: ['analytics_storage'], services: [{ id: 'yandex-metrica', name: 'Yandex Metrica', cookies: ['_ym_uid', '_ym_*'] }] },
          { id: 'preferences', consentMode: ['personalization_storage'], services: [{ id: 'theme', name: 'Theme', cookies: ['theme'] }] },
        ],
        texts: { en: { title: 'Cookies on Shop', categories: { preferences: { title: 'Preferences', description: 'Remember your settings.' } } }, he: { title: 'עוגיות' } },
        policyUrl: 'https://shop.test/privacy',
      })
      expect(changed.statusCode, changed.body).toBe(201)
      const v2 = changed.json()
      expect(v2).toMatchObject({ version: before.current.version + 1, policyVersion: 1, policyUrl: 'https://shop.test/privacy' })
      expect(v2.categories.map((category: { id: string }) => category.id)).toEqual(['necessary', 'analytics', 'preferences'])
      expect(v2.texts.en.title).toBe('Cookies on Shop')
      expect(v2.texts.ru.categories.preferences.title).toBe('Preferences')
      expect(v2.texts.he).toMatchObject({ dir: 'rtl', title: 'עוגיות', acceptAll: 'Accept all' })
      expect(v2.textsSha256.en).toBe(sha256(sortedJson({ categories: v2.categories, policyUrl: v2.policyUrl, texts: v2.texts.en })))
      expect(v2.textsSha256.en).not.toBe(v1.textsSha256.en)
      // The banner gets the new one; the old one is as it was.
      const served = (await config('shop.test')).json()
      expect(served).toMatchObject({ configVersion: v2.version, policyUrl: 'https://shop.test/privacy' })
      expect((await manager.request('GET', `/api/sites/shop.test/consent/versions/${v1.version}`)).json()).toEqual(v1)
      // A banner still showing the old texts is recorded with the old hash; the new category counts only in the new version.
      const old = (await decide(decision({ configVersion: v1.version }))).json()
      const [row] = await t.rows<{ texts_sha256: string }>('SELECT texts_sha256 FROM consent_records WHERE consent_id = {id:UUID}', { id: old.consentId })
      expect(row!.texts_sha256).toBe(v1.textsSha256.en)
      expect((await decide(decision({ configVersion: v1.version, method: 'custom', granted: ['preferences'] }))).statusCode).toBe(400)
      const fresh = await decide(decision({ configVersion: v2.version, method: 'custom', granted: ['preferences'], language: 'he' }))
      expect(fresh.json()).toMatchObject({ granted: ['necessary', 'preferences'], denied: ['analytics'], consentMode: ['functionality_storage', 'security_storage', 'personalization_storage'] })
      const list = (await viewer.request('GET', '/api/sites/shop.test/consent')).json()
      expect(list.versions.map((version: { version: number }) => version.version)).toEqual([v2.version, v1.version])
    })

    it("a removed category's own texts go with it", async () => {
      const withPreferences = await manager.request('POST', '/api/sites/shop.test/consent/versions', {
        categories: [{ id: 'analytics' }, { id: 'preferences' }],
        texts: { en: { categories: { preferences: { title: 'Preferences' } } } },
      })
      expect(withPreferences.statusCode).toBe(201)
      const without = await manager.request('POST', '/api/sites/shop.test/consent/versions', { categories: [{ id: 'analytics' }] })
      expect(without.statusCode, without.body).toBe(201)
      expect(Object.keys(without.json().texts.en.categories).sort()).toEqual(['analytics', 'necessary'])
      expect(without.json().overrides.en.categories).toEqual({})
    })

    it('publishing a new policy version raises it, so stored decisions are asked again', async () => {
      const before = (await config('shop.test')).json()
      const response = await manager.request('POST', '/api/sites/shop.test/consent/versions', { newPolicyVersion: true })
      expect(response.json()).toMatchObject({ version: before.configVersion + 1, policyVersion: before.policyVersion + 1 })
      expect((await config('shop.test')).json().policyVersion).toBe(before.policyVersion + 1)
      const record = (await decide(decision({ configVersion: before.configVersion + 1, method: 'reject_all', granted: [] }))).json()
      expect(record.policyVersion).toBe(before.policyVersion + 1)
    })

    it('concurrent changes become consecutive versions', async () => {
      const start = (await config('other.test')).json().configVersion
      const answers = await Promise.all([30, 31, 32, 33].map((days) => manager.request('POST', '/api/sites/other.test/consent/versions', { expiryDays: days })))
      expect(answers.map((answer) => answer.statusCode)).toEqual([201, 201, 201, 201])
      expect(answers.map((answer) => answer.json().version).sort()).toEqual([start + 1, start + 2, start + 3, start + 4])
    })

    it('a changed retention applies to the records already stored', async () => {
      const made = (await decide(decision({ domain: 'other.test', configVersion: 1, method: 'reject_all', granted: [] }))).json()
      const days = async () => (await t.rows<{ retention_days: number }>('SELECT retention_days FROM consent_records WHERE consent_id = {id:UUID}', { id: made.consentId }))[0]!.retention_days
      expect(await days()).toBe(1826)
      expect((await manager.request('POST', '/api/sites/other.test/consent/versions', { retentionDays: 3650 })).statusCode).toBe(201)
      expect(await days()).toBe(3650)
      // A banner still naming version 1 gets the site's current retention, not version 1's.
      const late = (await decide(decision({ domain: 'other.test', configVersion: 1, method: 'reject_all', granted: [] }))).json()
      const [row] = await t.rows<{ retention_days: number }>('SELECT retention_days FROM consent_records WHERE consent_id = {id:UUID}', { id: late.consentId })
      expect(row!.retention_days).toBe(3650)
      // A record that missed a change is brought in line by the hourly pass.
      await t.app.clickhouse.client.command({
        query: 'ALTER TABLE consent_records UPDATE retention_days = 7 WHERE consent_id = {id:UUID}',
        query_params: { id: made.consentId },
        clickhouse_settings: { mutations_sync: '2' },
      })
      expect(await t.app.consent.reconcileRetention()).toEqual(['other.test'])
      expect(await days()).toBe(3650)
      expect(await t.app.consent.reconcileRetention()).toEqual([])
    })

    it('refuses bad configurations, naming the field, and writes nothing', async () => {
      const post = (body: unknown) => () => manager.request('POST', '/api/sites/shop.test/consent/versions', body)
      expect((await refused(post({ categories: [{ id: 'Ads!' }] }), 400)).field).toBe('categories.0.id')
      expect((await refused(post({ categories: [{ id: 'ads', consentMode: ['cookies_everywhere'] }] }), 400)).field).toBe('categories.0.consentMode')
      expect((await refused(post({ categories: [{ id: 'ads' }, { id: 'ads' }] }), 400)).field).toBe('categories.1.id')
      expect((await refused(post({ categories: [{ id: 'necessary' }] }), 400)).field).toBe('categories')
      expect((await refused(post({ categories: [{ id: 'ads', services: [{ id: 'x', name: 'X', cookies: ['bad cookie'] }] }] }), 400)).field).toBe('categories.0.services.0.cookies')
      expect((await refused(post({ texts: { en: { categories: { nowhere: { title: 'Nowhere' } } } } }), 400)).field).toBe('texts.en.categories.nowhere')
      expect((await refused(post({ texts: { 'EN_gb!': { title: 'x' } } }), 400)).field).toBe('texts.EN_gb!')
      expect((await refused(post({ texts: { en: { title: '   ' } } }), 400)).field).toBe('texts.en.title')
      expect((await refused(post({ texts: { en: { onclick: 'x' } } }), 400)).field).toMatch(/^texts/)
      expect((await refused(post({ policyUrl: 'javascript:alert(1)' }), 400)).field).toBe('policyUrl')
      // "necessary" is granted whatever the visitor says, so it may not grant advertising or analytics.
      expect((await refused(post({ categories: [{ id: 'necessary', consentMode: ['ad_storage'] }, { id: 'ads' }] }), 400)).field).toBe('categories.0.consentMode')
      expect((await refused(post({ categories: [{ id: 'ads', services: [{ id: 'x', name: 'X', cookies: ['candor_consent'] }] }] }), 400)).field).toBe('categories.0.services')
      expect((await refused(post({ texts: { en: { title: 'a\u0000b' } } }), 400)).field).toBe('texts.en.title')
      expect((await refused(post({ texts: { en: { description: 'half \ud800 a pair' } } }), 400)).field).toBe('texts.en.description')
      expect((await refused(post({ categories: [{ id: 'ads', services: [{ id: 'x', name: 'X\u0007' }] }] }), 400)).field).toBe('categories.0.services.0.name')
      expect((await refused(post({ expiryDays: 0 }), 400)).field).toBe('expiryDays')
      expect((await refused(post({}), 400)).error).toBe('invalid_request')
    })

    it('only managers write (403 for a viewer); a stranger sees no site (404)', async () => {
      expect((await refused(() => viewer.request('POST', '/api/sites/shop.test/consent/versions', { expiryDays: 10 }), 403)).error).toBe('forbidden')
      expect((await refused(() => stranger.request('POST', '/api/sites/shop.test/consent/versions', { expiryDays: 10 }), 404)).error).toBe('not_found')
      expect((await stranger.request('GET', '/api/sites/shop.test/consent')).statusCode).toBe(404)
      const anonymous = await t.app.inject({ method: 'GET', url: '/api/sites/shop.test/consent' })
      expect(anonymous.statusCode).toBe(401)
    })

    it("staff look a consent up on their own site only, without its receipt", async () => {
      const made = (await decide(decision({ method: 'reject_all', granted: [] }))).json()
      const found = await viewer.request('GET', `/api/sites/shop.test/consents/${made.consentId}`)
      expect(found.statusCode).toBe(200)
      expect(found.json()).toMatchObject({ consentId: made.consentId, domain: 'shop.test', records: [{ method: 'reject_all' }] })
      // The manager of other.test asks other.test: that site has no such consent.
      expect((await manager.request('GET', `/api/sites/other.test/consents/${made.consentId}`)).statusCode).toBe(404)
      expect((await stranger.request('GET', `/api/sites/shop.test/consents/${made.consentId}`)).statusCode).toBe(404)
      expect((await viewer.request('GET', '/api/sites/shop.test/consents/not-a-uuid')).statusCode).toBe(400)
    })
  })
}

describe('on PGlite', () => consentSuite('pglite'))
describe.skipIf(!serverUrl)('on the PostgreSQL server', () => consentSuite('server'))
