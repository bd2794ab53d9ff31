// visitors is ClickHouse's uniqCombined64 (approximate, bounded memory): on 20,000 distinct visitors it is
// within 2 % of uniqExact, and exact on small sets. Visitors counted from sessions (with visit
// metrics only) are exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { newId, visits, type VisitSpec } from '../helpers/factories.ts'
import { table } from './dataset.ts'

const SITE = 'many.test'
const DAY = '2026-07-01'
const VISITORS = 20_000
const RETURNING = 2_000
const COUNTRIES = ['DE', 'FR', 'US']
let t: TestApp
let key: string
let siteId: number

beforeAll(async () => {
  t = await startTestApp()
  key = await t.addSite(SITE)
  siteId = (await t.app.sites.get(SITE)).id
  const dayStart = Date.parse(`${DAY}T00:00:00Z`)
  const specs: VisitSpec[] = []
  for (let i = 0; i < VISITORS; i++) {
    const visitor = newId()
    const attributes = { site: SITE, visitor, pages: [`/p${i % 10}`], country: COUNTRIES[i % 3]! }
    specs.push({ ...attributes, start: dayStart + ((i * 37) % 43_200) * 1000 })
    // The first 2,000 come back in the afternoon: a second visit, the same visitor.
    if (i < RETURNING) specs.push({ ...attributes, start: dayStart + (43_200 + i * 10) * 1000 })
  }
  await visits(t, specs)
}, 300_000)
afterAll(() => t?.close())

async function query(body: Record<string, unknown>) {
  const response = await t.query(key, { site_id: SITE, date_range: [DAY, DAY], ...body })
  expect(response.statusCode, JSON.stringify(response.json)).toBe(200)
  return response.json
}

const exact = async (where = '1') =>
  (await t.rows<{ n: number }>(`SELECT uniqExact(visitor_id) AS n FROM events WHERE site_id = {site:UInt32} AND ${where}`, { site: siteId }))[0]!.n

const within = (value: number, target: number, ratio: number) => Math.abs(value - target) <= target * ratio

describe('on 20,000 visitors', () => {
  it('the data is what it says', async () => {
    expect(await exact()).toBe(VISITORS)
  })

  it('visitors is within 2 % of the exact count', async () => {
    const [visitors, visits, pageviews] = (await query({ metrics: ['visitors', 'visits', 'pageviews'] })).results[0].metrics
    expect(within(visitors, VISITORS, 0.02), `${visitors}`).toBe(true)
    expect(visits).toBe(VISITORS + RETURNING)
    expect(pageviews).toBe(VISITORS + RETURNING)
  })

  it('per country, per page and per hour too', async () => {
    for (const dimension of ['visit:country', 'event:page', 'time:hour']) {
      const json = await query({ metrics: ['visitors'], dimensions: [dimension] })
      const expressions: Record<string, string> = {
        'visit:country': 'country_code',
        'event:page': 'pathname',
        'time:hour': "formatDateTime(toStartOfHour(timestamp), '%Y-%m-%d %H:00:00')",
      }
      const truth = await t.rows<{ k: string; n: number }>(
        `SELECT ${expressions[dimension]} AS k, uniqExact(visitor_id) AS n FROM events WHERE site_id = {site:UInt32} GROUP BY k`,
        { site: siteId },
      )
      expect(json.results).toHaveLength(truth.length)
      for (const { k, n } of truth) {
        const row = json.results.find((r: { dimensions: string[] }) => r.dimensions[0] === k)
        expect(row, `${dimension} ${k}`).toBeDefined()
        expect(within(row.metrics[0], n, 0.02), `${dimension} ${k}: ${row.metrics[0]} vs ${n}`).toBe(true)
      }
    }
  })

  it('visits stay exact by an event dimension too (a count, never an estimate)', async () => {
    expect(table(await query({ metrics: ['visits', 'pageviews'], dimensions: ['event:name'] }))).toEqual({ pageview: [VISITORS + RETURNING, VISITORS + RETURNING] })
  })

  it('visitors counted from visits (with visit metrics only) are exact', async () => {
    expect((await query({ metrics: ['visitors', 'visits'] })).results[0].metrics).toEqual([VISITORS, VISITORS + RETURNING])
    const json = await query({ metrics: ['visitors', 'visits'], dimensions: ['visit:exit_page'] })
    expect(json.results).toHaveLength(10)
    for (const row of json.results) expect(row.metrics[0]).toBe(VISITORS / 10)
  })
})

describe('on small sets', () => {
  it('visitors is exact', async () => {
    // Page /p0 in DE: i divisible by 30, 667 of them, 67 of which came back.
    const filters = [['is', 'event:page', ['/p0']], ['is', 'visit:country', ['DE']]]
    expect(await exact("pathname = '/p0' AND country_code = 'DE'")).toBe(667)
    expect((await query({ metrics: ['visitors', 'visits'], filters })).results[0].metrics).toEqual([667, 667 + 67])
    expect((await query({ metrics: ['visitors', 'pageviews'], filters })).results[0].metrics).toEqual([667, 667 + 67])
    const hour = await query({ metrics: ['visitors'], date_range: [`${DAY}T13:00:00Z`, `${DAY}T14:00:00Z`] })
    expect(hour.results[0].metrics).toEqual([await exact(`timestamp >= '${DAY} 13:00:00' AND timestamp < '${DAY} 14:00:00'`)])
  })
})
