// A page filter reads "visits that saw the page" from the paths sessions rows list (ClickHouse
// migration 005) — but only for ranges after the last sessions row stored without them (an
// upgraded install's history, an older spool replayed). A range reaching back to such a row builds
// the set of matching visits from events, as before. Both give the hand-worked numbers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SPOOL_TABLES } from '../../server/ingest/rows.ts'
import { parseQuery } from '../../server/stats/parse.ts'
import { buildQuery } from '../../server/stats/sql.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { visits } from '../helpers/factories.ts'
import { ALL_METRICS, DAY, SITE, seedDay } from './dataset.ts'

let t: TestApp
let key: string

beforeAll(async () => {
  t = await startTestApp()
  key = await t.addSite(SITE)
  await seedDay(t)
})
afterAll(() => t?.close())

async function aggregate(dateRange: [string, string], filters: unknown[], metrics = ALL_METRICS): Promise<number[]> {
  const response = await t.query(key, { site_id: SITE, date_range: dateRange, metrics, filters })
  expect(response.statusCode, JSON.stringify(response.json)).toBe(200)
  return response.json.results[0].metrics
}

const PRICING = [['is', 'event:page', ['/pricing']]]
// dataset.ts: the events on /pricing are V1's pageview, V4's pageview and download; visits V1, V4.
const PRICING_ON_DAY = [2, 2, 2, 3, 2, 0, 80]

describe('which SQL a page filter takes', () => {
  const sqlFor = async (since: number | null, filters: unknown[]) => {
    const site = await t.app.sites.get(SITE)
    const query = parseQuery({ site_id: SITE, date_range: [DAY, DAY], metrics: ['visits'], filters } as never, site, Date.now(), { sessionPagesSince: since })
    return buildQuery(query).sql
  }

  it('the lists of pages when every row of the range has them, the events set otherwise', async () => {
    const fromPages = await sqlFor(0, PRICING)
    expect(fromPages).toContain('has(pages, ')
    expect(fromPages).not.toContain('FROM events')
    // other operators test each listed path
    expect(await sqlFor(0, [['contains', 'event:page', ['pric']]])).toContain('arrayExists(page -> ')
    for (const since of [null, Date.parse(`${DAY}T00:00:00Z`)]) {
      expect(await sqlFor(since, PRICING)).toContain('session_id IN (SELECT session_id FROM events')
    }
    // Another event filter with it must hold on the same event: the events set again.
    expect(await sqlFor(0, [...PRICING, ['is', 'event:name', ['Download']]])).toContain('session_id IN (SELECT session_id FROM events')
  })
})

describe('on rows that list their pages', () => {
  it('every sessions row has its pages, so every range reads them', async () => {
    await t.app.stats.sessionPages.refresh()
    expect(t.app.stats.sessionPages.since).toBe(0)
  })

  it('gives the hand-worked numbers for is, is_not, contains and two page filters together', async () => {
    expect(await aggregate([DAY, DAY], PRICING)).toEqual(PRICING_ON_DAY)
    // V5 only ever saw "/", so it drops out; the others saw another page.
    expect(await aggregate([DAY, DAY], [['is_not', 'event:page', ['/']]], ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate'])).toEqual([3, 4, 5, 8, 25])
    expect(await aggregate([DAY, DAY], [['contains', 'event:page', ['SIGN'], { case_sensitive: false }]], ['visits'])).toEqual([1])
    // One event must pass both: a path among the two and containing "sign" is /signup (V1 only).
    expect(await aggregate([DAY, DAY], [['is', 'event:page', ['/pricing', '/signup']], ['contains', 'event:page', ['sign']]], ['visits'])).toEqual([1])
  })
})

describe('after rows without pages are stored', () => {
  const LEGACY_DAY = '2026-03-12'
  const LATER_DAY = '2026-03-14'

  beforeAll(async () => {
    // The same two visits twice: stored before migration 005 on one day, after it two days later.
    const day = (date: string, withoutPages: boolean) => [
      { site: SITE, start: `${date}T08:00:00Z`, pages: ['/', '/pricing'], withoutPages, stale: 'every' as const },
      { site: SITE, start: `${date}T09:00:00Z`, pages: ['/docs'], withoutPages },
    ]
    await visits(t, [...day(LEGACY_DAY, true), ...day(LATER_DAY, false)])
    await t.app.stats.sessionPages.refresh()
  })

  it('reads the pages only after the latest of them', async () => {
    expect(t.app.stats.sessionPages.since).toBe(Date.parse(`${LEGACY_DAY}T09:00:01Z`))
    // the minute's look at the last two days finds none of them, and never moves it back
    await t.app.stats.sessionPages.refreshRecent()
    expect(t.app.stats.sessionPages.since).toBe(Date.parse(`${LEGACY_DAY}T09:00:01Z`))
  })

  it('finds the visits of those rows through their events', async () => {
    expect(await aggregate([LEGACY_DAY, LEGACY_DAY], PRICING, ['visits', 'pageviews', 'bounce_rate'])).toEqual([1, 1, 0])
    expect(await aggregate([DAY, LEGACY_DAY], PRICING, ['visits'])).toEqual([3])
    expect(await aggregate([DAY, DAY], PRICING)).toEqual(PRICING_ON_DAY)
  })

  it('and the later visits through their pages, with the same numbers', async () => {
    expect(await aggregate([LATER_DAY, LATER_DAY], PRICING, ['visits', 'pageviews', 'bounce_rate'])).toEqual([1, 1, 0])
    expect(await aggregate([LATER_DAY, LATER_DAY], [['is_not', 'event:page', ['/pricing']]], ['visits'])).toEqual([2])
  })

  /** A one-pageview visit's sessions row in a spool layout ('S' has no pages column), as a JSON line. */
  const sessionRow = async (tag: 'S' | 'V', id: number, start: number, page: string) => {
    const site = await t.app.sites.get(SITE)
    const values: Record<string, unknown> = {
      sign: 1, version: 1, session_id: id, visitor_id: id, start, timestamp: start, hostname: SITE, entry_page: page, exit_page: page,
      pages: [page], pageviews: 1, events: 1, duration: 0, is_bounce: 1, site_id: site.id, tier: 'anonymous', asn: 0, screen_width: 0,
      screen_height: 0, pixel_ratio: 0, retention_days: 3650,
    }
    return `${JSON.stringify(SPOOL_TABLES[tag].columns.map((column) => values[column] ?? ''))}\n`
  }
  /** Stores rows of the older layout straight into ClickHouse, as an older node would. */
  const insertOlder = async (rows: string, token: string) => t.app.clickhouse.insertRows(SPOOL_TABLES.S.table, SPOOL_TABLES.S.columns, Buffer.from(rows), token)

  it('stores both when a spool batch holds sessions lines of the old layout and the new one', async () => {
    const start = Date.parse('2026-03-13T09:00:00Z') / 1000
    // One append is one group, read back as one batch: two inserts into sessions, one token each.
    await t.app.ingest.spool.append(`S${await sessionRow('S', 88, start, '/mixed')}V${await sessionRow('V', 89, start, '/mixed')}`)
    await t.app.ingest.writer.flushed()
    expect(await t.rows('SELECT session_id, pages FROM sessions WHERE session_id IN (88, 89) ORDER BY session_id')).toEqual([
      { session_id: 88, pages: [] },
      { session_id: 89, pages: ['/mixed'] },
    ])
    // the writer said it stored older rows: page filters stop reading pages before them
    await expect.poll(() => t.app.stats.sessionPages.since).toBe((start + 1) * 1000)
  })

  it('takes a sessions row spooled by an older version (tag S, no pages column) as one without pages', async () => {
    const start = Date.parse('2026-03-13T10:00:00Z') / 1000
    expect(SPOOL_TABLES.S.columns).not.toContain('pages')
    await insertOlder(await sessionRow('S', 77, start, '/old'), 'session-pages-legacy-spool')
    expect(await t.rows('SELECT pages, entry_page FROM sessions WHERE session_id = 77')).toEqual([{ pages: [], entry_page: '/old' }])
    await t.app.stats.sessionPages.refresh()
    expect(t.app.stats.sessionPages.since).toBe((start + 1) * 1000)
  })

  it('finds, within a minute, rows an older node of a cluster writes now (the last two days)', async () => {
    const start = Math.floor(Date.now() / 1000) - 3600
    await insertOlder(await sessionRow('S', 99, start, '/'), 'session-pages-older-node')
    await t.app.stats.sessionPages.refreshRecent()
    expect(t.app.stats.sessionPages.since).toBe((start + 1) * 1000)
  })
})
