// order_by (metrics and dimensions, asc and desc), the default order, and pagination that pages
// through a stable order (ties broken by the dimension values) with include.total_rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { visits, type VisitSpec } from '../helpers/factories.ts'

const SITE = 'order.test'
const DAY = '2026-06-01'
let t: TestApp
let key: string

/** 25 pages /p01../p25; page n has ((7n mod 5) + 1) visitors, so many pages tie. */
const PAGES = Array.from({ length: 25 }, (_, i) => ({ page: `/p${String(i + 1).padStart(2, '0')}`, visitors: ((7 * (i + 1)) % 5) + 1 }))

beforeAll(async () => {
  t = await startTestApp()
  key = await t.addSite(SITE)
  const specs: VisitSpec[] = []
  for (const { page, visitors } of PAGES) {
    for (let v = 0; v < visitors; v++) specs.push({ site: SITE, start: `${DAY}T12:${String(v).padStart(2, '0')}:00Z`, pages: [page] })
  }
  // Three days for time ordering: most traffic on the last day, least on the first.
  for (const [day, count] of [['2026-05-29', 1], ['2026-05-30', 2], ['2026-05-31', 3]] as const) {
    for (let v = 0; v < count; v++) specs.push({ site: SITE, start: `${day}T08:00:00Z`, pages: ['/old'] })
  }
  await visits(t, specs)
})
afterAll(() => t?.close())

async function query(body: Record<string, unknown>) {
  const response = await t.query(key, { site_id: SITE, date_range: [DAY, DAY], metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], ...body })
  expect(response.statusCode, JSON.stringify(response.json)).toBe(200)
  return response.json
}
const names = (json: { results: Array<{ dimensions: string[] }> }): string[] => json.results.map((row) => row.dimensions[0]!)

const byVisitorsThenPage = [...PAGES].sort((a, b) => b.visitors - a.visitors || a.page.localeCompare(b.page)).map((p) => p.page)

describe('order', () => {
  it('defaults to the first metric, descending, ties by dimension ascending', async () => {
    const json = await query({})
    expect(names(json)).toEqual(byVisitorsThenPage)
    expect(json.results[0].metrics).toEqual([5, 5])
  })

  it('by a metric, ascending', async () => {
    const json = await query({ order_by: [['pageviews', 'asc']] })
    expect(names(json)).toEqual([...PAGES].sort((a, b) => a.visitors - b.visitors || a.page.localeCompare(b.page)).map((p) => p.page))
  })

  it('by the dimension, descending and ascending', async () => {
    expect(names(await query({ order_by: [['event:page', 'desc']] }))).toEqual(PAGES.map((p) => p.page).reverse())
    expect(names(await query({ order_by: [['event:page', 'asc']] }))).toEqual(PAGES.map((p) => p.page))
  })

  it('by two keys', async () => {
    const json = await query({ order_by: [['visitors', 'desc'], ['event:page', 'desc']] })
    expect(names(json)).toEqual([...PAGES].sort((a, b) => b.visitors - a.visitors || b.page.localeCompare(a.page)).map((p) => p.page))
  })

  it('puts time first by default, whatever the counts', async () => {
    const response = await t.query(key, { site_id: SITE, date_range: ['2026-05-29', '2026-05-31'], metrics: ['visitors'], dimensions: ['time:day'] })
    expect(response.json.results).toEqual([
      { dimensions: ['2026-05-29'], metrics: [1] },
      { dimensions: ['2026-05-30'], metrics: [2] },
      { dimensions: ['2026-05-31'], metrics: [3] },
    ])
    const reversed = await t.query(key, {
      site_id: SITE, date_range: ['2026-05-29', '2026-05-31'], metrics: ['visitors'], dimensions: ['time:day'], order_by: [['time:day', 'desc']],
    })
    expect(reversed.json.results.map((row: { dimensions: string[] }) => row.dimensions[0])).toEqual(['2026-05-31', '2026-05-30', '2026-05-29'])
  })
})

describe('pagination', () => {
  it('pages through the whole order once, each page telling the total', async () => {
    const seen: string[] = []
    for (let offset = 0; offset < 28; offset += 7) {
      const json = await query({ pagination: { limit: 7, offset }, include: { total_rows: true } })
      expect(json.meta.total_rows).toBe(25)
      expect(json.query.pagination).toEqual({ limit: 7, offset })
      seen.push(...names(json))
    }
    expect(seen).toEqual(byVisitorsThenPage)
  })

  it('asks the same page twice and gets the same rows', async () => {
    const body = { pagination: { limit: 5, offset: 5 }, order_by: [['visitors', 'asc']] }
    expect(names(await query(body))).toEqual(names(await query(body)))
  })

  it('past the end: no rows, and still the total', async () => {
    const json = await query({ pagination: { limit: 10, offset: 100 }, include: { total_rows: true } })
    expect(json.results).toEqual([])
    expect(json.meta.total_rows).toBe(25)
  })

  it('refuses a limit or offset out of bounds', async () => {
    for (const pagination of [{ limit: 0 }, { limit: 10_001 }, { offset: -1 }, { limit: 1.5 }, { page: 2 }]) {
      const response = await t.query(key, { site_id: SITE, date_range: [DAY, DAY], metrics: ['visitors'], pagination })
      expect(response.statusCode, JSON.stringify(pagination)).toBe(400)
      expect(response.json.field).toMatch(/^pagination/)
    }
  })
})
