// The sites context through its operator routes (app.inject on the real app) and SitesService:
// adding, listing and changing sites, Stats API keys, and the operator token. Runs on PGlite and
// on the PostgreSQL server at DATABASE_URL. A refused request changes nothing in Postgres.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { explainSkip, serverUrl } from '../helpers/postgres.ts'

explainSkip()

function siteSuite(postgres: 'pglite' | 'server') {
  let t: TestApp
  let auth: Record<string, string>

  beforeAll(async () => {
    t = await startTestApp({ postgres })
    auth = { authorization: `Bearer ${t.operatorToken}` }
  })
  afterAll(() => t?.close())

  const post = (payload: unknown, headers = auth) => t.app.inject({ method: 'POST', url: '/api/admin/sites', headers, payload: payload as object })
  const patch = (domain: string, payload: unknown, headers = auth) =>
    t.app.inject({ method: 'PATCH', url: `/api/admin/sites/${encodeURIComponent(domain)}`, headers, payload: payload as object })
  const createKey = (domain: string, headers = auth) =>
    t.app.inject({ method: 'POST', url: `/api/admin/sites/${encodeURIComponent(domain)}/keys`, headers })
  const list = async () => (await t.app.inject({ method: 'GET', url: '/api/admin/sites', headers: auth })).json().sites as Array<Record<string, unknown>>

  /** Every row of the sites context, to prove a refused request wrote nothing. */
  const snapshot = async () =>
    JSON.stringify([
      await t.app.postgres.query('SELECT id, domain, aliases, timezone, retention_days FROM sites ORDER BY id'),
      await t.app.postgres.query('SELECT id, site_id, key_hash FROM api_keys ORDER BY id'),
    ])

  /** Sends a request that must be refused with `status`, and checks that nothing changed. */
  async function refused(send: () => Promise<{ statusCode: number; json(): any }>, status: number) {
    const before = await snapshot()
    const response = await send()
    expect(response.statusCode).toBe(status)
    const body = response.json()
    expect(typeof body.error).toBe('string')
    expect(typeof body.message).toBe('string')
    expect(body.message.length).toBeGreaterThan(0)
    expect(await snapshot()).toBe(before)
    return body as { error: string; message: string; field?: string }
  }

  describe('adding and listing sites', () => {
    it('adds a site with defaults and answers 201 with it', async () => {
      const response = await post({ domain: 'shop.test' })
      expect(response.statusCode).toBe(201)
      const site = response.json()
      expect(site).toMatchObject({ domain: 'shop.test', aliases: [], timezone: 'UTC', retentionDays: 730 })
      expect(site.id).toEqual(expect.any(Number))
      expect(new Date(site.createdAt).toISOString()).toBe(site.createdAt)
    })

    it('stores the canonical domain and aliases, a time zone and a retention', async () => {
      const response = await post({
        domain: ' Blog.Test. ',
        aliases: ['localhost', 'Staging.Example.', 'localhost', 'bücher.example'],
        timezone: 'Asia/Kolkata',
        retentionDays: 30,
      })
      expect(response.statusCode).toBe(201)
      expect(response.json()).toMatchObject({
        domain: 'blog.test',
        aliases: ['localhost', 'staging.example', 'xn--bcher-kva.example'],
        timezone: 'Asia/Kolkata',
        retentionDays: 30,
      })
    })

    it('stores an internationalised domain in punycode', async () => {
      const response = await post({ domain: 'Пример.РФ' })
      expect(response.statusCode).toBe(201)
      expect(response.json().domain).toBe('xn--e1afmkfd.xn--p1ai')
      const [row] = await t.app.postgres.query<{ domain: string }>('SELECT domain FROM sites WHERE domain LIKE $1', ['xn--e1afmkfd%'])
      expect(row?.domain).toBe('xn--e1afmkfd.xn--p1ai')
    })

    it('accepts the retention bounds, 1 and 36500 days', async () => {
      expect((await post({ domain: 'short.test', retentionDays: 1 })).statusCode).toBe(201)
      expect((await post({ domain: 'long.test', retentionDays: 36500 })).statusCode).toBe(201)
    })

    it('lists every site by domain', async () => {
      const sites = await list()
      expect(sites.map((site) => site.domain)).toEqual(['blog.test', 'long.test', 'shop.test', 'short.test', 'xn--e1afmkfd.xn--p1ai'])
      expect(sites.find((site) => site.domain === 'blog.test')).toMatchObject({ timezone: 'Asia/Kolkata', retentionDays: 30 })
    })

    it('refuses a duplicate with 409 naming the field, whatever its spelling', async () => {
      for (const domain of ['shop.test', 'SHOP.test', 'shop.test.']) {
        const body = await refused(() => post({ domain, timezone: 'Europe/Berlin' }), 409)
        expect(body).toMatchObject({ error: 'conflict', field: 'domain' })
        expect(body.message).toContain('shop.test')
      }
    })

    it.each([
      ['a scheme', 'https://new.test'],
      ['a path', 'new.test/blog'],
      ['a port', 'new.test:8080'],
      ['spaces', 'new site.test'],
      ['a single label', 'localhost'],
      ['an IP address', '192.0.2.1'],
      ['an at sign', 'user@new.test'],
      ['an empty label', 'new..test'],
      ['a leading hyphen', '-new.test'],
      ['an underscore', 'new_site.test'],
    ])('refuses a domain with %s (400 naming domain)', async (_what, domain) => {
      const body = await refused(() => post({ domain }), 400)
      expect(body).toMatchObject({ error: 'invalid_request', field: 'domain' })
      expect(body.message).toContain(domain)
    })

    it('refuses an empty domain', async () => {
      expect((await refused(() => post({ domain: '' }), 400)).field).toBe('domain')
    })

    it('refuses a malformed alias', async () => {
      for (const alias of ['http://staging.test', 'staging.test/x', 'two words', '']) {
        const body = await refused(() => post({ domain: 'new.test', aliases: ['localhost', alias] }), 400)
        expect(body.field).toMatch(/^aliases/)
      }
    })

    it('refuses an unknown time zone', async () => {
      for (const timezone of ['Mars/Olympus', 'GMT+25', '', 'Europe/Berlin; DROP TABLE sites']) {
        const body = await refused(() => post({ domain: 'new.test', timezone }), 400)
        expect(body.field).toBe('timezone')
      }
    })

    it('refuses a retention outside 1 to 36500 whole days', async () => {
      for (const retentionDays of [0, -5, 36501, 1.5]) {
        const body = await refused(() => post({ domain: 'retention.test', retentionDays }), 400)
        expect(body.field).toBe('retentionDays')
      }
    })

    // Bodies are checked exactly as sent, as DESIGN.md and app.ts say: no coercion, no stripping.
    it('refuses a retention sent as a string instead of coercing it', async () => {
      expect((await refused(() => post({ domain: 'coerced.test', retentionDays: '30' }), 400)).field).toBe('retentionDays')
    })

    it('refuses aliases sent as a string instead of coercing them to a list', async () => {
      expect((await refused(() => post({ domain: 'coerced-alias.test', aliases: 'localhost' }), 400)).field).toBe('aliases')
    })

    it('refuses an unknown field instead of dropping it', async () => {
      expect((await refused(() => post({ domain: 'unknown-field.test', owner: 'me' }), 400)).field).toBe('owner')
    })

    it('refuses a missing domain', async () => {
      expect((await refused(() => post({ timezone: 'UTC' }), 400)).field).toBe('domain')
    })
  })

  describe('changing a site', () => {
    it('changes aliases, time zone and retention', async () => {
      const response = await patch('shop.test', { aliases: ['localhost'], timezone: 'Europe/Berlin', retentionDays: 90 })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toMatchObject({ domain: 'shop.test', aliases: ['localhost'], timezone: 'Europe/Berlin', retentionDays: 90 })
      expect((await list()).find((site) => site.domain === 'shop.test')).toMatchObject({ timezone: 'Europe/Berlin', retentionDays: 90 })
      // Fields left out stay as they are; an empty list clears the aliases.
      const cleared = await patch('SHOP.TEST', { aliases: [] })
      expect(cleared.statusCode).toBe(200)
      expect(cleared.json()).toMatchObject({ aliases: [], timezone: 'Europe/Berlin', retentionDays: 90 })
    })

    it('refuses bad changes and changes nothing', async () => {
      expect((await refused(() => patch('shop.test', { timezone: 'Mars/Olympus' }), 400)).field).toBe('timezone')
      expect((await refused(() => patch('shop.test', { aliases: ['http://x.test'] }), 400)).field).toMatch(/^aliases/)
      expect((await refused(() => patch('shop.test', { retentionDays: 0 }), 400)).field).toBe('retentionDays')
      await refused(() => patch('shop.test', {}), 400)
    })

    it('refuses a change of the domain itself (an unknown field) instead of ignoring it', async () => {
      expect((await refused(() => patch('shop.test', { domain: 'other.test' }), 400)).field).toBe('domain')
    })

    it('refuses an empty time zone instead of ignoring it', async () => {
      expect((await refused(() => patch('shop.test', { timezone: '' }), 400)).field).toBe('timezone')
    })

    it('answers 404 for a site that does not exist', async () => {
      const body = await refused(() => patch('nowhere.test', { retentionDays: 10 }), 404)
      expect(body.error).toBe('not_found')
    })
  })

  describe('Stats API keys', () => {
    let shopKey: string
    let blogKey: string

    it('creates a key shown once, with its prefix and site', async () => {
      const response = await createKey('shop.test')
      expect(response.statusCode).toBe(201)
      const body = response.json()
      expect(body).toEqual({ key: expect.stringMatching(/^cnd_[A-Za-z0-9_-]{40}$/), prefix: body.key.slice(0, 10), domain: 'shop.test' })
      shopKey = body.key
      blogKey = (await createKey('blog.test')).json().key
      expect(blogKey).not.toBe(shopKey)
    })

    it('authenticates only its own site', async () => {
      const [shop, blog] = await Promise.all(['shop.test', 'blog.test'].map((domain) => t.app.sites.get(domain)))
      expect(await t.app.sites.keyReach(shopKey)).toEqual({ siteId: shop!.id, userId: null })
      expect(await t.app.sites.keyReach(blogKey)).toEqual({ siteId: blog!.id, userId: null })
      expect(await t.app.sites.keyReach(`${shopKey}x`)).toBeNull()
      expect(await t.app.sites.keyReach('cnd_unknown')).toBeNull()

      const query = { metrics: ['visitors'], date_range: '7d' }
      expect((await t.query(shopKey, { site_id: 'shop.test', ...query })).statusCode).toBe(200)
      const other = await t.query(shopKey, { site_id: 'blog.test', ...query })
      expect(other.statusCode).toBe(403)
      expect(other.json).toMatchObject({ error: 'forbidden', message: expect.any(String) })
      expect((await t.query('cnd_unknown', { site_id: 'shop.test', ...query })).statusCode).toBe(401)
    })

    it('stores only the hash of a key, never the key', async () => {
      const rows = await t.app.postgres.query<Record<string, unknown>>('SELECT * FROM api_keys')
      expect(rows).toHaveLength(2)
      const stored = JSON.stringify(rows)
      for (const key of [shopKey, blogKey]) {
        expect(stored).not.toContain(key)
        expect(stored).not.toContain(key.slice(4))
        expect(rows.map((row) => row.key_hash)).toContain(createHash('sha256').update(key).digest('hex'))
      }
      expect(rows.map((row) => row.key_prefix).sort()).toEqual([shopKey.slice(0, 10), blogKey.slice(0, 10)].sort())
      expect(JSON.stringify(await t.app.postgres.query('SELECT * FROM sites'))).not.toContain(shopKey)
    })

    it('answers 404 for a key of a site that does not exist', async () => {
      expect((await refused(() => createKey('nowhere.test'), 404)).error).toBe('not_found')
    })
  })

  describe('the operator token', () => {
    const routes = () => [
      () => post({ domain: 'sneaky.test' }, {}),
      () => post({ domain: 'sneaky.test' }, { authorization: 'Bearer wrong-token' }),
      () => post({ domain: 'sneaky.test' }, { authorization: `Basic ${Buffer.from(`candor:${t.operatorToken}`).toString('base64')}` }),
      () => post({ domain: 'sneaky.test' }, { authorization: `Bearer ${t.operatorToken}x` }),
      () => patch('shop.test', { retentionDays: 5 }, {}),
      () => createKey('shop.test', { authorization: 'Bearer' }),
      () => t.app.inject({ method: 'GET', url: '/api/admin/sites' }),
    ]

    it('is required: 401 with {error, message} and a Bearer challenge, nothing written', async () => {
      for (const send of routes()) {
        const before = await snapshot()
        const response = await send()
        expect(response.statusCode).toBe(401)
        expect(response.headers['www-authenticate']).toBe('Bearer')
        expect(response.json()).toEqual({ error: 'unauthorized', message: expect.stringContaining('operator token') })
        expect(await snapshot()).toBe(before)
      }
    })

    it('is not a Stats API key', async () => {
      const key = (await createKey('blog.test')).json().key as string
      const response = await refused(() => post({ domain: 'sneaky.test' }, { authorization: `Bearer ${key}` }), 401)
      expect(response.error).toBe('unauthorized')
    })

    it('is checked before the body, so an anonymous caller learns nothing about validation', async () => {
      const response = await post({ domain: 'https://bad' }, {})
      expect(response.statusCode).toBe(401)
    })
  })
}

describe('on PGlite', () => siteSuite('pglite'))
describe.skipIf(!serverUrl)('on the PostgreSQL server', () => siteSuite('server'))
