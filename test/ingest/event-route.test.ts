// POST /api/event end to end on the embedded databases: what is stored, what is dropped and why,
// and that bad input is refused with a clear 4xx, writes nothing and leaves the server up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROME, startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let key: string

beforeAll(async () => {
  t = await startTestApp()
  key = await t.addSite('shop.test', { aliases: ['shop-staging.example'], timezone: 'Europe/Berlin' })
  await t.addSite('blog.test')
})
afterAll(() => t?.close())

const count = async (table = 'events') => (await t.rows<{ n: number }>(`SELECT count() AS n FROM ${table}`))[0]!.n

describe('accepted events', () => {
  it('stores a pageview enriched, without query string or fragment, and answers 202', async () => {
    const response = await t.send({
      n: 'pageview',
      u: 'https://shop.test/products/lamp?utm_source=newsletter&utm_campaign=winter&email=a@b.c#reviews',
      d: 'shop.test',
      r: 'https://www.google.com/search?q=lamp',
      tz: 'Europe/Berlin',
      l: 'de-DE',
    })
    expect(response.statusCode).toBe(202)
    expect(JSON.parse(response.body)).toEqual({ status: 'accepted' })
    expect(response.headers['x-candor-dropped']).toBeUndefined()
    await t.flush()
    const [row] = await t.rows(`SELECT * FROM events WHERE pathname = '/products/lamp'`)
    expect(row).toMatchObject({
      name: 'pageview',
      hostname: 'shop.test',
      pathname: '/products/lamp',
      referrer_source: 'newsletter',
      referrer_domain: 'google.com',
      referrer: '',
      utm_source: 'newsletter',
      utm_campaign: 'winter',
      browser: 'Chrome',
      browser_version: '131',
      os: 'Linux',
      device: 'Desktop',
      timezone: 'Europe/Berlin',
      language: 'de-DE',
      tier: 'anonymous',
      city: '',
      isp: '',
      retention_days: 730,
    })
  })

  it('accepts the Plausible Events API format with props and revenue', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/event',
      headers: { 'content-type': 'application/json', 'user-agent': CHROME, 'x-forwarded-for': '198.51.100.4' },
      payload: { name: 'Purchase', url: 'https://shop.test/checkout', domain: 'shop.test', props: { plan: 'pro', seats: 3 }, revenue: { amount: '19.99', currency: 'eur' } },
    })
    expect(response.statusCode).toBe(202)
    await t.flush()
    const [row] = await t.rows<{ props: Record<string, string>; revenue_amount: number; revenue_currency: string }>(
      `SELECT props, revenue_amount, revenue_currency FROM events WHERE name = 'Purchase'`,
    )
    expect(row).toEqual({ props: { plan: 'pro', seats: '3' }, revenue_amount: 19.99, revenue_currency: 'EUR' })
  })

  it('counts pages of an alias hostname and of subdomains for the site', async () => {
    expect((await t.send({ n: 'pageview', u: 'https://shop-staging.example/', d: 'shop.test' })).statusCode).toBe(202)
    const sub = await t.send({ n: 'pageview', u: 'https://www.shop.test/x', d: 'shop.test' })
    expect(sub.headers['x-candor-dropped']).toBeUndefined()
  })

  it('records an event for each of several named sites', async () => {
    await t.flush()
    const before = await count()
    const response = await t.send({ n: 'pageview', u: 'https://blog.test/rollup', d: 'blog.test,shop.test' })
    // shop.test does not own blog.test pages: stored once, the other site's drop is reported.
    expect(response.headers['x-candor-dropped']).toBe('foreign_hostname')
    await t.flush()
    expect(await count()).toBe(before + 1)
  })
})

describe('dropped events answer 202 with X-Candor-Dropped and are not stored', () => {
  const cases: Array<[string, Record<string, unknown>, { userAgent?: string; headers?: Record<string, string> }]> = [
    ['bot', { n: 'pageview', u: 'https://shop.test/', d: 'shop.test' }, { userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }],
    ['bot', { n: 'pageview', u: 'https://shop.test/', d: 'shop.test' }, { userAgent: CHROME.replace('Chrome/', 'HeadlessChrome/') }],
    ['bot', { n: 'pageview', u: 'https://shop.test/', d: 'shop.test' }, { userAgent: '' }],
    ['unknown_site', { n: 'pageview', u: 'https://nobody.test/', d: 'nobody.test' }, {}],
    ['foreign_hostname', { n: 'pageview', u: 'https://evil.example/', d: 'shop.test' }, {}],
    ['not_consented', { n: 'Click', u: 'https://shop.test/', d: 'shop.test', p: { tag: 'a' } }, {}],
    ['not_consented', { n: 'Form: Submission', u: 'https://shop.test/', d: 'shop.test', c: 1 }, { headers: { 'sec-gpc': '1' } }],
  ]
  it.each(cases)('%s', async (reason, payload, options) => {
    const before = await count()
    const response = await t.send(payload, options)
    expect(response.statusCode).toBe(202)
    expect(response.headers['x-candor-dropped']).toBe(reason)
    await t.flush()
    expect(await count()).toBe(before)
    const metrics = await t.app.inject({ url: '/metrics' })
    expect(metrics.body).toMatch(new RegExp(`candor_events_dropped_total\\{reason="${reason}"\\} [1-9]`))
  })
})

describe('bad input gets a 4xx with {error, message, field?}, writes nothing, and the server stays up', () => {
  const raw = (payload: string, contentType = 'text/plain') =>
    t.app.inject({ method: 'POST', url: '/api/event', headers: { 'content-type': contentType, 'user-agent': CHROME }, payload })

  const cases: Array<[string, () => ReturnType<typeof raw>, number, string | undefined]> = [
    ['malformed JSON', () => raw('{"n":"pageview",'), 400, undefined],
    ['JSON that is not an object', () => raw('[1,2,3]'), 400, undefined],
    ['empty body', () => raw(''), 400, undefined],
    ['a wrong type', () => raw(JSON.stringify({ n: 42, u: 'https://shop.test/', d: 'shop.test' })), 400, 'n'],
    ['an unknown field', () => raw(JSON.stringify({ n: 'pageview', u: 'https://shop.test/', d: 'shop.test', password: 'x' })), 400, 'password'],
    ['a missing url', () => raw(JSON.stringify({ n: 'pageview', d: 'shop.test' })), 400, 'u'],
    ['a relative url', () => raw(JSON.stringify({ n: 'pageview', u: '/relative', d: 'shop.test' })), 400, 'url'],
    ['a javascript: url', () => raw(JSON.stringify({ n: 'pageview', u: 'javascript:alert(1)', d: 'shop.test' })), 400, 'url'],
    ['too many props', () => raw(JSON.stringify({ n: 'x', u: 'https://shop.test/', d: 'shop.test', p: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i])) })), 400, 'p'],
    ['nested props', () => raw(JSON.stringify({ n: 'x', u: 'https://shop.test/', d: 'shop.test', p: { a: { b: 1 } } })), 400, undefined],
    ['a bad revenue currency', () => raw(JSON.stringify({ n: 'x', u: 'https://shop.test/', d: 'shop.test', $: { amount: 1, currency: 'euros' } })), 400, undefined],
    ['a body over 8 KB', () => raw(JSON.stringify({ n: 'pageview', u: `https://shop.test/${'a'.repeat(9000)}`, d: 'shop.test' })), 413, undefined],
    ['an unsupported content type', () => raw('n=pageview', 'application/x-www-form-urlencoded'), 415, undefined],
  ]
  it.each(cases)('%s', async (_name, send, status, field) => {
    await t.flush()
    const before = await count()
    const response = await send()
    expect(response.statusCode).toBe(status)
    const body = response.json()
    expect(body).toEqual(expect.objectContaining({ error: expect.any(String), message: expect.any(String) }))
    if (field) expect(body.field).toBe(field)
    expect(Object.keys(body).every((k) => ['error', 'message', 'field'].includes(k))).toBe(true)
    await t.flush()
    expect(await count()).toBe(before)
    expect((await t.app.inject({ url: '/api/health' })).statusCode).toBe(200)
  })
})

it('answers preflight and sends CORS headers for cross-origin trackers', async () => {
  const preflight = await t.app.inject({ method: 'OPTIONS', url: '/api/event', headers: { origin: 'https://shop.test', 'access-control-request-method': 'POST' } })
  expect(preflight.statusCode).toBe(204)
  expect(preflight.headers['access-control-allow-origin']).toBe('*')
  const response = await t.send({ n: 'pageview', u: 'https://shop.test/cors', d: 'shop.test' })
  expect(response.headers['access-control-allow-origin']).toBe('*')
  expect(key).toMatch(/^cnd_/)
})
