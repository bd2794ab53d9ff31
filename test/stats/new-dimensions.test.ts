// The dimensions the dashboard added — visit:isp, visit:screen, visit:timezone, visit:language,
// event:font, time:minute — as dimensions and filters, alone and with visit metrics, on a
// hand-built day; and runQuery's options for public dashboards (minVisitors, allowedDimensions),
// directly and through app.stats.run.
//
// visit visitor start  pages (60 s apart)   isp      screen     timezone       language fonts            tier
// W1    P       10:00  / → /a     (60 s)    Telekom  1920x1080  Europe/Berlin  de       Arial, Roboto    consented
// W2    Q       11:00  /          (0 s)     Telekom  1920x1080  Europe/Berlin  de-DE    Arial            consented
// W3    R       12:00  /a → /b → /c (120 s) Orange   390x844    Europe/Paris   fr       —                anonymous
// W4    S       12:30  /          (0 s)     —        —          —              —        —                anonymous
//
// Bounces: W2, W4. Pageviews 7, visits 4, visitors 4.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpError } from '../../server/errors.ts'
import { runQuery } from '../../server/stats/index.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { visits } from '../helpers/factories.ts'
import { table } from './dataset.ts'

const SITE = 'dims.test'
const DAY = '2026-05-05'
let t: TestApp
let key: string

beforeAll(async () => {
  t = await startTestApp()
  key = await t.addSite(SITE)
  const site = SITE
  await visits(t, [
    { site, start: `${DAY}T10:00:00Z`, pages: ['/', '/a'], isp: 'Telekom', screenWidth: 1920, screenHeight: 1080, timezone: 'Europe/Berlin', language: 'de', fonts: ['Arial', 'Roboto'], tier: 'consented' },
    { site, start: `${DAY}T11:00:00Z`, pages: ['/'], isp: 'Telekom', screenWidth: 1920, screenHeight: 1080, timezone: 'Europe/Berlin', language: 'de-DE', fonts: ['Arial'], tier: 'consented' },
    { site, start: `${DAY}T12:00:00Z`, pages: ['/a', '/b', '/c'], isp: 'Orange', screenWidth: 390, screenHeight: 844, timezone: 'Europe/Paris', language: 'fr' },
    { site, start: `${DAY}T12:30:00Z`, pages: ['/'] },
  ])
})
afterAll(() => t?.close())

async function query(body: Record<string, unknown>) {
  const response = await t.query(key, { site_id: SITE, date_range: [DAY, DAY], ...body })
  expect(response.statusCode, JSON.stringify(response.json)).toBe(200)
  return response.json
}
const breakdown = async (dimension: string, metrics: string[], filters: unknown[] = []) => table(await query({ metrics, dimensions: [dimension], filters }))
const aggregate = async (metrics: string[], filters: unknown[]) => (await query({ metrics, filters })).results[0].metrics as number[]

const VISIT = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration']

describe('visit dimensions', () => {
  it('visit:isp groups visits by provider, with visit metrics', async () => {
    expect(await breakdown('visit:isp', VISIT)).toEqual({ Telekom: [2, 2, 3, 50, 30], Orange: [1, 1, 3, 0, 120], '': [1, 1, 1, 100, 0] })
  })

  it('visit:screen is WxH, and "" when the screen is unknown', async () => {
    expect(await breakdown('visit:screen', VISIT)).toEqual({ '1920x1080': [2, 2, 3, 50, 30], '390x844': [1, 1, 3, 0, 120], '': [1, 1, 1, 100, 0] })
  })

  it('visit:timezone and visit:language', async () => {
    expect(await breakdown('visit:timezone', ['visitors'])).toEqual({ 'Europe/Berlin': [2], 'Europe/Paris': [1], '': [1] })
    expect(await breakdown('visit:language', ['visitors', 'pageviews'])).toEqual({ de: [1, 2], 'de-DE': [1, 1], fr: [1, 3], '': [1, 1] })
  })

  it('filter on each of them', async () => {
    expect(await aggregate(VISIT, [['is', 'visit:isp', ['Telekom']]])).toEqual([2, 2, 3, 50, 30])
    expect(await aggregate(VISIT, [['is', 'visit:screen', ['390x844']]])).toEqual([1, 1, 3, 0, 120])
    expect(await aggregate(['visitors', 'visits'], [['is_not', 'visit:screen', ['']]])).toEqual([3, 3])
    expect(await aggregate(['visitors'], [['contains', 'visit:language', ['de']]])).toEqual([2])
    expect(await aggregate(['visitors'], [['is', 'visit:timezone', ['europe/paris'], { case_sensitive: false }]])).toEqual([1])
    expect(await aggregate(['visitors', 'pageviews'], [['contains_not', 'visit:timezone', ['Europe']]])).toEqual([1, 1])
  })

  it('a visit dimension filtered by another', async () => {
    expect(await breakdown('visit:language', ['visitors', 'bounce_rate'], [['is', 'visit:isp', ['Telekom']]])).toEqual({ de: [1, 0], 'de-DE': [1, 100] })
  })
})

describe('event:font', () => {
  it('one row per font, from the events that report it', async () => {
    // Arial: W1's two pageviews and W2's one; Roboto: W1's two. Visits that had it: their bounce rate and duration.
    expect(await breakdown('event:font', ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration'])).toEqual({
      Arial: [2, 2, 3, 3, 50, 30],
      Roboto: [1, 1, 2, 2, 0, 60],
    })
  })

  it('views_per_visit is not a font metric', async () => {
    const response = await t.query(key, { site_id: SITE, date_range: [DAY, DAY], metrics: ['views_per_visit'], dimensions: ['event:font'] })
    expect(response.statusCode).toBe(400)
    expect(response.json.field).toBe('metrics')
  })

  it('is: the visits whose fonts include any value', async () => {
    expect(await aggregate(VISIT, [['is', 'event:font', ['Roboto']]])).toEqual([1, 1, 2, 0, 60])
    expect(await aggregate(['visitors', 'pageviews'], [['is', 'event:font', ['Arial', 'Nope']]])).toEqual([2, 3])
    expect(await aggregate(['visitors'], [['is', 'event:font', ['arial'], { case_sensitive: false }]])).toEqual([2])
    expect(await aggregate(['visitors'], [['is', 'event:font', ['arial']]])).toEqual([0])
  })

  it('is_not: events without any of them; contains: any font containing it', async () => {
    expect(await aggregate(['visitors', 'visits', 'pageviews'], [['is_not', 'event:font', ['Arial']]])).toEqual([2, 2, 4])
    expect(await aggregate(['visitors'], [['contains', 'event:font', ['obo']]])).toEqual([1])
    expect(await aggregate(['visitors'], [['contains_not', 'event:font', ['ria']]])).toEqual([2])
  })

  it('mixed with visit dimensions and filters', async () => {
    expect(await breakdown('visit:isp', ['visitors', 'visits', 'bounce_rate'], [['is', 'event:font', ['Arial']]])).toEqual({ Telekom: [2, 2, 50] })
    expect(await breakdown('event:font', ['visitors'], [['is', 'visit:language', ['de']]])).toEqual({ Arial: [1], Roboto: [1] })
    expect(table(await query({ metrics: ['visitors'], dimensions: ['event:font', 'visit:language'] }))).toEqual({
      'Arial|de': [1],
      'Arial|de-DE': [1],
      'Roboto|de': [1],
    })
  })
})

describe('time:minute', () => {
  it('buckets by minute, with every minute of the range as a label', async () => {
    const json = await query({
      metrics: ['visitors', 'pageviews'],
      dimensions: ['time:minute'],
      date_range: [`${DAY}T10:00:00Z`, `${DAY}T10:03:00Z`],
      include: { time_labels: true },
    })
    expect(table(json)).toEqual({ '2026-05-05 10:00:00': [1, 1], '2026-05-05 10:01:00': [1, 1] })
    expect(json.meta.time_labels).toEqual(['2026-05-05 10:00:00', '2026-05-05 10:01:00', '2026-05-05 10:02:00'])
  })

  it('realtime: the last five minutes, by minute in the site’s zone', async () => {
    const site = await t.app.sites.get(SITE)
    const now = Date.parse(`${DAY}T12:32:10Z`)
    const result = await runQuery(t.app.clickhouse.client, site, { site_id: SITE, metrics: ['visitors'], date_range: 'realtime', dimensions: ['time:minute'], include: { time_labels: true } }, now)
    expect(table(result)).toEqual({ '2026-05-05 12:30:00': [1] })
    expect(result.meta.time_labels).toEqual(['12:27', '12:28', '12:29', '12:30', '12:31', '12:32'].map((minute) => `${DAY} ${minute}:00`))
  })

  it('labels follow the site’s zone', async () => {
    await t.addSite('minutes.test', { timezone: 'Asia/Kolkata' })
    const site = await t.app.sites.get('minutes.test')
    const now = Date.parse(`${DAY}T12:32:10Z`)
    const result = await runQuery(t.app.clickhouse.client, site, { site_id: 'minutes.test', metrics: ['visitors'], date_range: 'realtime', dimensions: ['time:minute'], include: { time_labels: true } }, now)
    expect(result.meta.time_labels?.[0]).toBe(`${DAY} 17:57:00`)
  })
})

describe('options: minVisitors', () => {
  const site = () => t.app.sites.get(SITE)
  const run = async (request: Record<string, unknown>, minVisitors: number) =>
    runQuery(t.app.clickhouse.client, await site(), { site_id: SITE, date_range: [DAY, DAY], ...request } as never, Date.now(), { minVisitors })

  it('leaves out breakdown rows with fewer visitors, and counts only the rows kept', async () => {
    const result = await run({ metrics: ['visitors', 'pageviews'], dimensions: ['visit:isp'], include: { total_rows: true } }, 2)
    expect(table(result)).toEqual({ Telekom: [2, 3] })
    expect(result.meta.total_rows).toBe(1)
  })

  it('counts visitors even when they are not asked for', async () => {
    expect(table(await run({ metrics: ['pageviews'], dimensions: ['visit:screen'] }, 2))).toEqual({ '1920x1080': [3] })
    expect(table(await run({ metrics: ['bounce_rate'], dimensions: ['visit:screen'] }, 2))).toEqual({ '1920x1080': [50] })
    expect(table(await run({ metrics: ['events'], dimensions: ['event:font'] }, 2))).toEqual({ Arial: [3] })
    expect(table(await run({ metrics: ['visits'], dimensions: ['event:page'] }, 3))).toEqual({ '/': [3] })
  })

  it('a page past the kept rows still has their total', async () => {
    const result = await run({ metrics: ['visitors'], dimensions: ['visit:isp'], include: { total_rows: true }, pagination: { limit: 1, offset: 5 } }, 1)
    expect(result.results).toEqual([])
    expect(result.meta.total_rows).toBe(3)
  })

  it('does not apply to time series or totals', async () => {
    expect(table(await run({ metrics: ['visitors'], dimensions: ['time:day'] }, 5))).toEqual({ [DAY]: [4] })
    expect((await run({ metrics: ['visitors'] }, 5)).results).toEqual([{ metrics: [4], dimensions: [] }])
  })

  it('through app.stats.run', async () => {
    const result = await t.app.stats.run(await site(), { site_id: SITE, date_range: [DAY, DAY], metrics: ['visitors'], dimensions: ['visit:timezone'] }, { minVisitors: 2 })
    expect(table(result)).toEqual({ 'Europe/Berlin': [2] })
  })
})

describe('options: allowedDimensions', () => {
  const allowed = new Set(['visit:isp', 'time:day', 'event:page'])
  const refused = async (request: Record<string, unknown>, field: string) => {
    const site = await t.app.sites.get(SITE)
    const body = { site_id: SITE, date_range: [DAY, DAY], metrics: ['visitors'], ...request } as never
    for (const call of [
      () => runQuery(t.app.clickhouse.client, site, body, Date.now(), { allowedDimensions: allowed }),
      () => t.app.stats.run(site, body, { allowedDimensions: allowed, minVisitors: 5 }),
    ]) {
      const error = await call().then(() => null, (thrown: unknown) => thrown)
      expect(error).toBeInstanceOf(HttpError)
      expect(error).toMatchObject({ statusCode: 400, field, message: expect.stringContaining('"visit:') })
    }
  }

  it('refuses other dimensions, naming the field', async () => {
    await refused({ dimensions: ['visit:isp', 'visit:screen'] }, 'dimensions[1]')
    await refused({ dimensions: ['visit:city'] }, 'dimensions[0]')
  })

  it('refuses filters on other dimensions', async () => {
    await refused({ dimensions: ['visit:isp'], filters: [['is', 'event:page', ['/']], ['is', 'visit:language', ['de']]] }, 'filters[1]')
  })

  it('answers with the allowed ones', async () => {
    const site = await t.app.sites.get(SITE)
    const result = await t.app.stats.run(
      site,
      { site_id: SITE, date_range: [DAY, DAY], metrics: ['visitors'], dimensions: ['visit:isp'], filters: [['is', 'event:page', ['/']]] },
      { allowedDimensions: allowed },
    )
    expect(table(result)).toEqual({ Telekom: [2], '': [1] })
  })
})

describe('bad input', () => {
  it.each([
    ['an unknown new-looking dimension', { dimensions: ['visit:screen_size'] }, 'dimensions[0]'],
    ['a filter on time:minute', { filters: [['is', 'time:minute', ['x']]] }, 'filters[0]'],
    ['conversion_rate without goals', { metrics: ['visitors', 'conversion_rate'] }, 'metrics[1]'],
  ])('%s: 400', async (_, body, field) => {
    const response = await t.query(key, { site_id: SITE, date_range: [DAY, DAY], metrics: ['visitors'], ...body })
    expect(response.statusCode).toBe(400)
    expect(response.json).toMatchObject({ error: 'invalid_request', field })
  })
})
