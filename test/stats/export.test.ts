// POST /api/v2/export: the dashboard's view as a zip of CSV files, one per card, on the hand-built
// day of test/stats/dataset.ts. Each file holds what the Stats API answers for its card; filters
// apply to every file; fields are quoted and kept from running as spreadsheet formulas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csvField, EXPORT_CARDS } from '../../server/stats/export.ts'
import { signUp, type Agent } from '../helpers/accounts.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { readCsvZip } from '../helpers/csv.ts'
import { visits } from '../helpers/factories.ts'
import { DAY, SITE, seedDay } from './dataset.ts'

let t: TestApp
let key: string
let otherKey: string
let viewer: Agent

beforeAll(async () => {
  t = await startTestApp()
  key = await t.addSite(SITE)
  otherKey = await t.addSite('other.test')
  await seedDay(t)
  // An event whose name a spreadsheet would run, and one with a comma and quotes.
  await visits(t, [
    { site: SITE, start: `${DAY}T12:00:00Z`, pages: ['/'], events: [{ name: '=HYPERLINK("http://evil.test","x")' }, { name: 'Say "hi", then go' }] },
  ])
  viewer = await signUp(t)
  await t.app.sites.staff.add((await t.app.sites.get(SITE)).id, viewer.user.id, 'viewer')
})
afterAll(() => t?.close())

const exportAs = (authorization: string | null, body: Record<string, unknown>) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v2/export',
    headers: authorization ? { authorization } : {},
    payload: { site_id: SITE, date_range: [DAY, DAY], ...body },
  })

const unzip = (body: Buffer) => readCsvZip(body).rows

describe('POST /api/v2/export', () => {
  it('zips one CSV per card, in the dashboard order, each equal to its Stats API query', async () => {
    const response = await exportAs(`Bearer ${key}`, {})
    expect(response.statusCode, response.body).toBe(200)
    expect(response.headers['content-type']).toBe('application/zip')
    expect(response.headers['content-disposition']).toBe(`attachment; filename="${SITE}-${DAY}-${DAY}.zip"`)
    const files = unzip(response.rawPayload)
    expect(Object.keys(files)).toEqual(EXPORT_CARDS.map((card) => card.file))

    // By hand (dataset.ts, plus the one visit above): 5 visitors, 6 visits, 9 pageviews that day.
    expect(files['visitors.csv']).toEqual([
      ['date', 'visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'],
      [DAY, '5', '6', '9', '1.5', '33', '32'],
    ])
    expect(files['countries.csv']![0]).toEqual(['country', 'visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'])
    expect(files['countries.csv']!.slice(1).map((row) => row.slice(0, 2))).toEqual([['DE', '2'], ['', '1'], ['FR', '1'], ['RU', '1']])

    for (const card of EXPORT_CARDS.filter((card) => card.dimension !== 'time:day')) {
      const answer = await t.query(key, {
        site_id: SITE,
        date_range: [DAY, DAY],
        metrics: card.metrics,
        dimensions: [card.dimension],
        ...(card.filters ? { filters: card.filters } : {}),
        pagination: { limit: 10_000 },
      })
      expect(answer.statusCode).toBe(200)
      const expected = (answer.json.results as Array<{ dimensions: string[]; metrics: number[] }>).map((row) => [
        ...row.dimensions.map((value) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value)),
        ...row.metrics.map(String),
      ])
      expect(files[card.file]!.slice(1), card.file).toEqual(expected)
    }
  })

  it('keeps a formula from running and quotes commas and quotes', async () => {
    const files = unzip((await exportAs(`Bearer ${key}`, {})).rawPayload)
    const names = files['custom_events.csv']!.slice(1).map((row) => row[0])
    expect(names).toEqual(expect.arrayContaining(["'=HYPERLINK(\"http://evil.test\",\"x\")", 'Say "hi", then go', 'Signup', 'Download']))
    expect(names).not.toContain('pageview')
    expect(csvField('=1+1')).toBe("'=1+1")
    expect(csvField('-2')).toBe("'-2")
    expect(csvField(-2)).toBe('-2')
    expect(csvField('a,"b"\r\nc')).toBe('"a,""b""\r\nc"')
    expect(csvField('/plain')).toBe('/plain')
  })

  it('applies the view filters to every file', async () => {
    const files = unzip((await exportAs(`Bearer ${key}`, { filters: [['is', 'visit:country', ['FR']]] })).rawPayload)
    expect(files['visitors.csv']![1]!.slice(0, 4)).toEqual([DAY, '1', '1', '2'])
    expect(files['countries.csv']!.slice(1).map((row) => row[0])).toEqual(['FR'])
    expect(files['browsers.csv']!.slice(1).map((row) => row.slice(0, 2))).toEqual([['Safari', '1']])
    expect(files['pages.csv']!.slice(1).map((row) => row[0])).toEqual(['/', '/blog'])
  })

  it('takes a login session with its CSRF token, as the dashboard sends it', async () => {
    const response = await viewer.request('POST', '/api/v2/export', { site_id: SITE, date_range: [DAY, DAY] })
    expect(response.statusCode).toBe(200)
    expect(Object.keys(unzip(response.rawPayload))).toHaveLength(EXPORT_CARDS.length)
    const withoutCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/v2/export',
      headers: { cookie: `candor_session=${viewer.cookie}` },
      payload: { site_id: SITE, date_range: [DAY, DAY] },
    })
    expect(withoutCsrf.statusCode).toBe(403)
  })

  it('refuses a key of another site, no credentials, and bad input, with the JSON error body', async () => {
    const cases: Array<[string | null, Record<string, unknown>, number, string | undefined]> = [
      [`Bearer ${otherKey}`, {}, 403, undefined],
      [null, {}, 401, undefined],
      [`Bearer ${key}`, { filters: [['is', 'visit:nonsense', ['x']]] }, 400, 'filters[0]'],
      [`Bearer ${key}`, { date_range: 'fortnight' }, 400, 'date_range'],
      [`Bearer ${key}`, { metrics: ['visitors'] }, 400, undefined],
    ]
    for (const [authorization, body, status, field] of cases) {
      const response = await exportAs(authorization, body)
      expect(response.statusCode, JSON.stringify(body)).toBe(status)
      expect(response.json()).toMatchObject({ error: expect.any(String), message: expect.any(String), ...(field ? { field } : {}) })
    }
  })
})
