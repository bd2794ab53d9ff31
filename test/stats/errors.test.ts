// What the Stats API refuses: unknown names (400 naming the field), malformed bodies, missing or
// unknown keys (401), another site's key (403). Refusals write nothing and the server stays up;
// values and property names that look like SQL are only ever bound parameters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { visit } from '../helpers/factories.ts'

const SITE = 'errors.test'
const OTHER = 'other.test'
const DAY = '2026-02-02'
let t: TestApp
let key: string
let otherKey: string

beforeAll(async () => {
  t = await startTestApp()
  key = await t.addSite(SITE)
  otherKey = await t.addSite(OTHER)
  await visit(t, { site: SITE, start: `${DAY}T12:00:00Z`, pages: ['/', '/a'], events: [{ name: 'Signup', props: { plan: "pro'; --" } }] })
})
afterAll(() => t?.close())

const base = { site_id: SITE, date_range: [DAY, DAY], metrics: ['visitors'] }
const stored = async () => (await t.rows<{ n: number }>('SELECT (SELECT count() FROM events) + (SELECT count() FROM sessions) AS n'))[0]!.n

describe('unknown names answer 400 with {error, message, field} naming them', () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['an unknown metric', { metrics: ['visitors', 'bounces'] }, 'metrics[1]', /unknown metric "bounces"/],
    ['a metric twice', { metrics: ['visitors', 'visitors'] }, 'metrics', /twice/],
    ['an unknown dimension', { dimensions: ['visit:planet'] }, 'dimensions[0]', /unknown dimension "visit:planet"/],
    ['an unknown dimension prefix', { dimensions: ['event:page', 'session:page'] }, 'dimensions[1]', /unknown dimension "session:page"/],
    ['a property without a name', { dimensions: ['event:props:'] }, 'dimensions[0]', /property name/],
    ['a dimension twice', { dimensions: ['event:page', 'event:page'] }, 'dimensions', /twice/],
    ['two time dimensions', { dimensions: ['time:day', 'time:hour'] }, 'dimensions', /one time dimension/],
    ['an unknown filter operator', { filters: [['matches', 'event:page', ['/']]] }, 'filters[0]', /unknown filter operator "matches"/],
    ['an unknown filter dimension', { filters: [['is', 'event:planet', ['x']]] }, 'filters[0]', /unknown dimension "event:planet"/],
    ['an unknown order_by key', { order_by: [['bounces', 'desc']] }, 'order_by[0]', /"bounces"/],
    ['order_by a metric not queried', { order_by: [['visitors', 'desc'], ['pageviews', 'asc']] }, 'order_by[1]', /"pageviews"/],
    ['order_by a dimension not queried', { dimensions: ['event:page'], order_by: [['visit:source', 'asc']] }, 'order_by[0]', /"visit:source"/],
    ['an unknown date_range', { date_range: 'fortnight' }, 'date_range', /unknown date_range "fortnight"/],
    ['a date past what ClickHouse holds', { date_range: ['9999-12-31', '9999-12-31'] }, 'date_range', /two dates/],
    ['a date before 1970', { date_range: ['0000-01-01', '1969-12-31'] }, 'date_range', /two dates/],
    ['a `date` past 2105', { date_range: 'day', date: '9999-12-31' }, 'date', /not a date/],
    ['instants past 2105', { date_range: ['2200-01-01T00:00:00Z', '2200-01-02T00:00:00Z'] }, 'date_range', /between 1970 and 2105/],
  ]
  it.each(cases)('%s', async (_, body, field, message) => {
    const before = await stored()
    const response = await t.query(key, { ...base, ...body })
    expect(response.statusCode).toBe(400)
    expect(response.json).toEqual({ error: 'invalid_request', message: expect.stringMatching(message), field })
    expect(await stored()).toBe(before)
  })
})

describe('malformed bodies answer 400', () => {
  const cases: Array<[string, Record<string, unknown>, string | undefined]> = [
    ['no site_id', { site_id: undefined }, undefined],
    ['no metrics', { metrics: undefined }, undefined],
    ['no metric at all', { metrics: [] }, 'metrics'],
    ['metrics as a string', { metrics: 'visitors' }, 'metrics'],
    ['an unknown field', { filter: [['is', 'event:page', ['/']]] }, 'filter'],
    ['an unknown include', { include: { imports: true, comparisons: true } }, 'include.comparisons'],
    ['an order direction other than asc/desc', { order_by: [['visitors', 'up']] }, undefined],
    ['a filter of two items', { filters: [['is', 'event:page']] }, undefined],
    ['a limit as a string', { pagination: { limit: '10' } }, 'pagination.limit'],
  ]
  it.each(cases)('%s', async (_, body, field) => {
    const response = await t.query(key, { ...base, ...body })
    expect(response.statusCode).toBe(400)
    expect(response.json).toMatchObject({ error: 'invalid_request', message: expect.any(String) })
    if (field) expect(response.json.field).toBe(field)
  })

  // Known bug outside stats: server/errors.ts reads Ajv's params.missingProperty, but TypeBox
  // reports params.requiredProperties, so the answer says 'missing the required field ""' and has
  // no field. Flip to it() once errors.ts is fixed.
  it('a missing required field is named', async () => {
    const response = await t.query(key, { ...base, site_id: undefined })
    expect(response.json).toMatchObject({ field: 'site_id', message: expect.stringContaining('site_id') })
  })

  it('a body that is not JSON', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v2/query',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: '{"site_id":',
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ error: 'invalid_request' })
  })
})

describe('keys', () => {
  const post = (headers: Record<string, string>) => t.app.inject({ method: 'POST', url: '/api/v2/query', headers, payload: base })

  it('no key: 401 asking for a bearer token', async () => {
    const response = await post({})
    expect(response.statusCode).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Bearer')
    expect(response.json()).toMatchObject({ error: 'unauthorized', message: expect.stringMatching(/Bearer/) })
  })

  it('another scheme: 401', async () => {
    expect((await post({ authorization: `Basic ${Buffer.from(`x:${key}`).toString('base64')}` })).statusCode).toBe(401)
  })

  it('an unknown key: 401, and nothing about the site', async () => {
    const response = await post({ authorization: 'Bearer not-a-key' })
    expect(response.statusCode).toBe(401)
    expect(response.json()).toEqual({ error: 'unauthorized', message: expect.any(String) })
    expect(response.body).not.toContain(SITE)
  })

  it('the operator token is not a Stats API key', async () => {
    expect((await post({ authorization: `Bearer ${t.operatorToken}` })).statusCode).toBe(401)
  })

  it('a key of another site: 403, and no numbers', async () => {
    const response = await t.query(otherKey, base)
    expect(response.statusCode).toBe(403)
    expect(response.json).toMatchObject({ error: 'forbidden' })
    expect(response.json.results).toBeUndefined()
    // Its own site answers.
    expect((await t.query(otherKey, { ...base, site_id: OTHER })).statusCode).toBe(200)
  })

  it('an unknown site with a valid key: 403', async () => {
    expect((await t.query(key, { ...base, site_id: 'nobody.test' })).statusCode).toBe(403)
  })

  it('the site id is matched without regard to case', async () => {
    const response = await t.query(key, { ...base, site_id: 'Errors.TEST' })
    expect(response.statusCode).toBe(200)
    expect(response.json.results).toEqual([{ metrics: [1], dimensions: [] }])
  })
})

describe('values that look like SQL are data', () => {
  it('in filter values', async () => {
    const response = await t.query(key, { ...base, metrics: ['visitors', 'events'], filters: [['is', 'event:props:plan', ["pro'; --"]]] })
    expect(response.json.results).toEqual([{ metrics: [1, 1], dimensions: [] }])
    const nothing = await t.query(key, { ...base, filters: [['contains', 'event:page', ["') OR 1=1 --", '\\']]] })
    expect(nothing.json.results).toEqual([{ metrics: [0], dimensions: [] }])
  })

  it('in property names', async () => {
    for (const name of ["plan'] OR 1=1 --", 'a}{b:String}', 'x`y', '名前']) {
      const response = await t.query(key, { ...base, metrics: ['events'], dimensions: [`event:props:${name}`] })
      expect(response.statusCode, name).toBe(200)
      expect(response.json.results).toEqual([{ metrics: [3], dimensions: ['(none)'] }])
    }
  })

  it('leaves the tables and the server as they were', async () => {
    expect(await stored()).toBe(3 + 1)
    expect((await t.query(key, base)).json.results).toEqual([{ metrics: [1], dimensions: [] }])
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(200)
  })
})
