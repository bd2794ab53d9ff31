// The events table keeps a projection sorted by page (ClickHouse migration 006), which the engine
// reads for a filter on a page. It must answer as the table does, and forget what the table
// forgets: rows past a shortened retention are gone from it too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyRetention } from '../../server/privacy/index.ts'
import { parseQuery } from '../../server/stats/parse.ts'
import { buildQuery } from '../../server/stats/sql.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

const SITE = 'projection.test'
const OLD = ['2026-03-05', '2026-03-12'] as const
let t: TestApp
let key: string
let siteId: number

beforeAll(async () => {
  t = await startTestApp()
  key = await t.addSite(SITE)
  siteId = (await t.app.sites.get(SITE)).id
  // 60,000 pageviews over ten pages in early March (several granules, so a page's rows are a tenth
  // of them), and 1,000 of yesterday.
  const insert = (start: string, rows: number) =>
    t.app.clickhouse.client.command({
      query:
        'INSERT INTO events (site_id, timestamp, name, pathname, visitor_id, session_id, retention_days) ' +
        "SELECT {site:UInt32}, toDateTime({start:String}, 'UTC') + number * 10, 'pageview', concat('/p', toString(number % 10)), " +
        'number % 20000 + {offset:UInt64}, number % 30000 + {offset:UInt64}, 3650 FROM numbers({rows:UInt64})',
      query_params: { site: siteId, start, rows, offset: rows },
    })
  await insert(`${OLD[0]} 00:00:00`, 60_000)
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
  await insert(`${yesterday} 00:00:00`, 1_000)
}, 120_000)
afterAll(() => t?.close())

const PAGE = [['is', 'event:page', ['/p1']]]

async function onPage(dateRange: readonly [string, string] | string) {
  const response = await t.query(key, { site_id: SITE, date_range: dateRange, metrics: ['visitors', 'pageviews'], filters: PAGE })
  expect(response.statusCode, JSON.stringify(response.json)).toBe(200)
  return response.json.results[0].metrics as number[]
}

/** What the table itself holds for /p1 in the range, and what the projection holds. */
async function stored(from: string, to: string) {
  const where = "site_id = {site:UInt32} AND pathname = '/p1' AND timestamp >= toDateTime({from:String}, 'UTC') AND timestamp < toDateTime({to:String}, 'UTC') + INTERVAL 1 DAY"
  const count = (settings: string) =>
    t.rows<{ visitors: number; pageviews: number }>(`SELECT uniqExact(visitor_id) AS visitors, count() AS pageviews FROM events WHERE ${where} SETTINGS ${settings}`, { site: siteId, from, to })
  const [table] = await count('optimize_use_projections = 0')
  const [projection] = await count("force_optimize_projection_name = 'by_page'")
  return { table: [table!.visitors, table!.pageviews], projection: [projection!.visitors, projection!.pageviews] }
}

/** Rows in the table's active parts, and in their by_page projections. */
async function projectedRows() {
  const [table] = await t.rows<{ n: number }>("SELECT sum(rows) AS n FROM system.parts WHERE active AND database = currentDatabase() AND table = 'events'")
  const [projection] = await t.rows<{ n: number }>(
    "SELECT sum(rows) AS n FROM system.projection_parts WHERE active AND database = currentDatabase() AND table = 'events' AND name = 'by_page'",
  )
  return { table: Number(table!.n), projection: Number(projection!.n) }
}

describe('a filter on a page', () => {
  it('reads the projection sorted by page', async () => {
    const site = await t.app.sites.get(SITE)
    const { sql, params } = buildQuery(parseQuery({ site_id: SITE, date_range: [...OLD], metrics: ['visitors', 'pageviews'], filters: PAGE } as never, site))
    const plan = await t.rows<{ explain: string }>(`EXPLAIN ${sql}`, params)
    expect(plan.map((row) => row.explain).join('\n')).toContain('ReadFromMergeTree (by_page)')
  })

  it('answers what the table holds', async () => {
    const { table, projection } = await stored(...OLD)
    expect(table).toEqual([2_000, 6_000])
    expect(projection).toEqual(table)
    const [visitors, pageviews] = await onPage(OLD)
    expect(Math.abs(visitors! - 2_000)).toBeLessThanOrEqual(40)
    expect(pageviews).toBe(6_000)
  })

  it('forgets the rows a shortened retention removes, as the table does', async () => {
    expect(await projectedRows()).toEqual({ table: 61_000, projection: 61_000 })
    await applyRetention(t.app.clickhouse, siteId, 30)
    expect(await projectedRows()).toEqual({ table: 1_000, projection: 1_000 })
    expect(await onPage(OLD)).toEqual([0, 0])
    // yesterday's rows are kept, in both
    expect(await onPage('7d')).toEqual([100, 100])
  })
})
