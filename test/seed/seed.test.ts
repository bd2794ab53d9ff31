// Seeded traffic read back through the Stats API: exactly the events asked for, visits that match
// their events, the privacy model's tiers respected, and the same seed giving the same traffic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedTraffic, type SeedSummary } from '../../server/seed/index.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

const EVENTS = 5000
const DAYS = 3
const END = Math.floor(Date.now() / 1000)

let t: TestApp
const keys: Record<string, string> = {}
const summaries: Record<string, SeedSummary> = {}

async function seed(domain: string, seedNumber: number): Promise<void> {
  keys[domain] = await t.addSite(domain, { timezone: 'Europe/Berlin', retentionDays: 400 })
  const site = await t.app.sites.get(domain)
  summaries[domain] = await seedTraffic(t.app.clickhouse.insertRows, site, { events: EVENTS, days: DAYS, seed: seedNumber, end: END, batchSize: 1500 })
}

beforeAll(async () => {
  t = await startTestApp()
  await seed('a.test', 7)
  await seed('b.test', 7)
  await seed('c.test', 8)
}, 120_000)
afterAll(() => t?.close())

async function query(domain: string, body: Record<string, unknown>) {
  const response = await t.query(keys[domain]!, { site_id: domain, date_range: '7d', ...body })
  expect(response.statusCode, JSON.stringify(response.json)).toBe(200)
  return response.json.results as Array<{ metrics: number[]; dimensions: string[] }>
}

const siteId = async (domain: string) => (await t.app.sites.get(domain)).id

describe('seedTraffic', () => {
  it('writes exactly the events asked for, and visits consistent with them', async () => {
    const summary = summaries['a.test']!
    expect(summary.events).toBe(EVENTS)
    const [totals] = await query('a.test', { metrics: ['events', 'pageviews', 'visits', 'bounce_rate', 'visit_duration', 'views_per_visit'] })
    const [events, pageviews, visits, bounceRate, duration, viewsPerVisit] = totals!.metrics
    expect(events).toBe(EVENTS)
    expect(visits).toBe(summary.visits)
    expect(pageviews).toBeGreaterThan(EVENTS * 0.7)
    expect(pageviews).toBeLessThan(EVENTS)
    expect(bounceRate).toBeGreaterThan(20)
    expect(bounceRate).toBeLessThan(70)
    expect(duration).toBeGreaterThan(0)
    expect(viewsPerVisit).toBeGreaterThan(1)

    // Custom events of both tiers, with their props.
    const names = new Map((await query('a.test', { metrics: ['events'], dimensions: ['event:name'] })).map((row) => [row.dimensions[0], row.metrics[0]]))
    expect([...names.values()].reduce<number>((sum, count) => sum + (count ?? 0), 0)).toBe(EVENTS)
    expect(names.get('pageview')).toBe(pageviews)
    for (const name of ['Outbound Link: Click', 'File Download', 'Click']) expect(names.get(name), name).toBeGreaterThan(0)
    const urls = await query('a.test', { metrics: ['events'], dimensions: ['event:props:url'], filters: [['is', 'event:name', ['File Download']]] })
    expect(urls.length).toBeGreaterThan(0)
    for (const row of urls) expect(row.dimensions[0]).toMatch(/^https:\/\/a\.test\/downloads\//)

    // Every visit's session row agrees with its events rows.
    const mismatches = await t.rows(
      `SELECT s.session_id FROM (SELECT session_id, pageviews, events, entry_page, exit_page, start, timestamp, duration FROM sessions WHERE site_id = {site:UInt32}) AS s
       INNER JOIN (SELECT session_id, countIf(name = 'pageview') AS pageviews, count() AS events, min(timestamp) AS first, max(timestamp) AS last,
         argMin(pathname, timestamp) AS entry_page FROM events WHERE site_id = {site:UInt32} GROUP BY session_id) AS e USING (session_id)
       WHERE s.pageviews != e.pageviews OR s.events != e.events OR s.start != e.first OR s.timestamp != e.last OR s.duration != toUInt32(e.last - e.first)`,
      { site: await siteId('a.test') },
    )
    expect(mismatches).toEqual([])
    const [spread] = await t.rows<{ days: number; latest: number }>(
      'SELECT uniqExact(toDate(timestamp)) AS days, max(toUnixTimestamp(timestamp)) AS latest FROM events WHERE site_id = {site:UInt32}',
      { site: await siteId('a.test') },
    )
    expect(spread!.days).toBeGreaterThanOrEqual(DAYS)
    expect(spread!.latest).toBeLessThanOrEqual(END)
  })

  it('fills every required column, and consented-only columns only on consented rows', async () => {
    const site = await siteId('a.test')
    const [events] = await t.rows<Record<string, number>>(
      `SELECT countIf(hostname = '' OR pathname = '' OR name = '' OR visitor_id = 0 OR session_id = 0 OR country_code = '' OR region = ''
                 OR browser = '' OR os = '' OR device = '' OR timezone = '' OR language = '' OR retention_days != 400) AS incomplete,
              countIf(tier = 'anonymous' AND (referrer != '' OR city != '' OR asn != 0 OR isp != '' OR screen_width != 0 OR screen_height != 0
                 OR pixel_ratio != 0 OR length(fonts) != 0 OR returning != 'unknown' OR position(browser_version, '.') > 0
                 OR name IN ('Click', 'Form: Submission'))) AS leaking,
              countIf(tier = 'consented' AND (city = '' OR isp = '' OR screen_width = 0)) AS consentedIncomplete,
              countIf(tier = 'anonymous') AS anonymous, countIf(tier = 'consented') AS consented
       FROM events WHERE site_id = {site:UInt32}`,
      { site },
    )
    expect(events).toMatchObject({ incomplete: 0, leaking: 0, consentedIncomplete: 0 })
    expect(events!.anonymous).toBeGreaterThan(0)
    expect(events!.consented).toBeGreaterThan(0)
    const [sessions] = await t.rows<Record<string, number>>(
      `SELECT countIf(entry_page = '' OR exit_page = '' OR pageviews = 0 OR events = 0 OR sign != 1 OR retention_days != 400) AS incomplete,
              countIf(tier = 'anonymous' AND (referrer != '' OR city != '' OR asn != 0 OR isp != '' OR screen_width != 0)) AS leaking
       FROM sessions WHERE site_id = {site:UInt32}`,
      { site },
    )
    expect(sessions).toEqual({ incomplete: 0, leaking: 0 })
  })

  it('gives the same traffic for the same seed, and other traffic for another', async () => {
    const report = async (domain: string) => ({
      totals: await query(domain, { metrics: ['visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration'] }),
      pages: await query(domain, { metrics: ['visits', 'pageviews'], dimensions: ['event:page'] }),
      sources: await query(domain, { metrics: ['visits'], dimensions: ['visit:source', 'visit:country', 'visit:browser'] }),
      entries: await query(domain, { metrics: ['visits'], dimensions: ['visit:entry_page'] }),
    })
    const a = await report('a.test')
    expect(await report('b.test')).toEqual(a)
    expect(await report('c.test')).not.toEqual(a)
    expect(summaries['b.test']).toMatchObject({ events: EVENTS, visits: summaries['a.test']!.visits })
  })
})

describe('POST /api/admin/seed', () => {
  const seedRoute = (payload: Record<string, unknown>, token = t.operatorToken) =>
    t.app.inject({ method: 'POST', url: '/api/admin/seed', headers: { authorization: `Bearer ${token}` }, payload })

  it('streams progress and a summary as JSON lines', async () => {
    await t.addSite('route.test')
    const response = await seedRoute({ site: 'route.test', events: 300, days: 2 })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/)
    const lines = response.body.trimEnd().split('\n').map((line) => JSON.parse(line))
    expect(lines.at(-1)).toMatchObject({ summary: { events: 300 } })
    expect(lines.slice(0, -1).every((line) => 'progress' in line)).toBe(true)
  })

  it('refuses unknown sites, bad numbers and anyone but the operator or an administrator', async () => {
    expect((await seedRoute({ site: 'nowhere.test', events: 10, days: 1 })).statusCode).toBe(404)
    expect((await seedRoute({ site: 'route.test', events: 0, days: 1 })).statusCode).toBe(400)
    expect((await seedRoute({ site: 'route.test', events: 10, days: 3651 })).statusCode).toBe(400)
    expect((await seedRoute({ site: 'route.test', events: 10, days: 1 }, 'not-a-token')).statusCode).toBe(401)
  })
})
