// A visit is stored as states: each change cancels the previous sessions row (sign -1) and writes
// the next (+1, version + 1); ClickHouse collapses the pairs only when it merges parts. The Stats
// API must read each visit once, with its final values, before and after that merge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseQuery } from '../../server/stats/parse.ts'
import { buildQuery } from '../../server/stats/sql.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { visits, type StoredVisit } from '../helpers/factories.ts'
import { table } from './dataset.ts'

const SITE = 'collapse.test'
const DAY = '2026-05-05'
const NEXT_DAY = '2026-05-06'
let t: TestApp
let key: string
let X: StoredVisit
let Z: StoredVisit

beforeAll(async () => {
  t = await startTestApp()
  key = await t.addSite(SITE)
  // Keep every state on disk uncollapsed until the test merges on purpose.
  await t.app.clickhouse.client.command({ query: 'SYSTEM STOP MERGES sessions' })
  ;[X, , Z] = (await visits(t, [
    // X: v1 (+1: /a, 1 pageview, 0 s), v1 cancel (-1), v2 (+1: exit /b, 2 pageviews, 90 s).
    { site: SITE, start: `${DAY}T10:00:00Z`, pages: ['/a', '/b'], gap: 90, stale: true, source: 'Google' },
    // Y: one live state; its exit page /a is also X's stale one.
    { site: SITE, start: `${DAY}T10:10:00Z`, pages: ['/a'] },
    // Z: every state ingest would write: v1..v3 each cancelled, v4 final (exit /e, 150 s, a signup).
    { site: SITE, start: `${DAY}T11:00:00Z`, pages: ['/c', '/d', '/e'], events: [{ name: 'Signup', at: 150 }], stale: 'every' },
    // The next day: W consented on its second page (its city appears); V stays anonymous.
    { site: SITE, start: `${NEXT_DAY}T12:00:00Z`, pages: ['/w1', '/w2'], stale: true, tier: 'consented', city: 'Berlin', before: { tier: 'anonymous', city: '' } },
    { site: SITE, start: `${NEXT_DAY}T12:05:00Z`, pages: ['/v'] },
  ])) as [StoredVisit, StoredVisit, StoredVisit]
})
afterAll(() => t?.close())

async function query(body: Record<string, unknown>) {
  const response = await t.query(key, { site_id: SITE, date_range: [DAY, DAY], ...body })
  expect(response.statusCode, JSON.stringify(response.json)).toBe(200)
  return response.json
}

const physicalRows = async (sessionId: number) =>
  (await t.rows<{ n: number; net: number }>('SELECT count() AS n, sum(sign) AS net FROM sessions WHERE session_id = {id:UInt64}', { id: sessionId }))[0]!

/** Every answer these tests check, so they can be compared before and after the merge. */
async function answers() {
  const metrics = ['visitors', 'visits', 'pageviews', 'events', 'views_per_visit', 'bounce_rate', 'visit_duration']
  return {
    aggregate: (await query({ metrics })).results,
    sessionOnly: (await query({ metrics: ['visits', 'views_per_visit', 'bounce_rate', 'visit_duration'] })).results,
    visitorsAndVisits: (await query({ metrics: ['visitors', 'visits'] })).results,
    exitPages: table(await query({ metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'], dimensions: ['visit:exit_page'] })),
    exitPagesFlat: table(await query({ metrics: ['visits', 'bounce_rate'], dimensions: ['visit:exit_page'] })),
    entryPages: table(await query({ metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'], dimensions: ['visit:entry_page'] })),
    pages: table(await query({ metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'], dimensions: ['event:page'] })),
    sources: table(await query({ metrics: ['visits', 'visit_duration'], dimensions: ['visit:source'] })),
    hours: table(await query({ metrics: ['visits', 'pageviews'], dimensions: ['time:hour'] })),
    hoursFromVisits: table(await query({ metrics: ['visitors', 'visits', 'visit_duration'], dimensions: ['time:hour'] })),
    staleExit: (await query({ metrics, filters: [['is', 'visit:exit_page', ['/d']]] })).results,
    finalExit: (await query({ metrics: ['visitors', 'visits', 'pageviews', 'visit_duration'], filters: [['is', 'visit:exit_page', ['/e']]] })).results,
    // visitors alone by a stable visit dimension are counted over sessions rows, stale states included
    sourceVisitors: table(await query({ metrics: ['visitors'], dimensions: ['visit:source'] })),
    sourceVisitorsOnStalePage: table(await query({ metrics: ['visitors'], dimensions: ['visit:source'], filters: [['is', 'event:page', ['/d']]] })),
  }
}

const expected = {
  aggregate: [{ metrics: [3, 3, 6, 7, 2, 33, 80], dimensions: [] }],
  sessionOnly: [{ metrics: [3, 2, 33, 80], dimensions: [] }],
  visitorsAndVisits: [{ metrics: [3, 3], dimensions: [] }],
  // No /c or /d (Z's stale exits); /a is Y alone (X's stale exit does not count its visitor).
  exitPages: { '/b': [1, 1, 2, 0, 90], '/a': [1, 1, 1, 100, 0], '/e': [1, 1, 3, 0, 150] },
  exitPagesFlat: { '/b': [1, 0], '/a': [1, 100], '/e': [1, 0] },
  entryPages: { '/a': [2, 2, 3, 50, 45], '/c': [1, 1, 3, 0, 150] },
  pages: {
    '/a': [2, 2, 2, 50, 45],
    '/b': [1, 1, 1, 0, 90],
    '/c': [1, 1, 1, 0, 150],
    '/d': [1, 1, 1, 0, 150],
    '/e': [1, 1, 1, 0, 150],
  },
  sources: { Google: [1, 90], 'Direct / None': [2, 75] },
  hours: { '2026-05-05 10:00:00': [2, 3], '2026-05-05 11:00:00': [1, 3] },
  hoursFromVisits: { '2026-05-05 10:00:00': [2, 2, 45], '2026-05-05 11:00:00': [1, 1, 150] },
  staleExit: [{ metrics: [0, 0, 0, 0, 0, 0, 0], dimensions: [] }],
  finalExit: [{ metrics: [1, 1, 3, 150], dimensions: [] }],
  sourceVisitors: { Google: [1], 'Direct / None': [2] },
  // Z's states after /c only do not list /d; its later ones do, and count Z once.
  sourceVisitorsOnStalePage: { 'Direct / None': [1] },
}

describe('uncollapsed states', () => {
  it('are on disk as written', async () => {
    expect(await physicalRows(X.sessionId)).toEqual({ n: 3, net: 1 })
    expect(await physicalRows(Z.sessionId)).toEqual({ n: 7, net: 1 })
  })

  it('count each visit once, with its final values', async () => {
    expect(await answers()).toEqual(expected)
  })
})

describe('a visit whose attributes changed (consent mid-visit)', () => {
  it('counts its visitor under the final attributes only', async () => {
    const body = { date_range: [NEXT_DAY, NEXT_DAY], dimensions: ['visit:city'] }
    expect(table(await query({ ...body, metrics: ['visitors', 'visits'] }))).toEqual({ '': [1, 1], Berlin: [1, 1] })
    // Events keep the attributes they were recorded with: W's first pageview had no city.
    expect(table(await query({ ...body, metrics: ['visitors', 'pageviews'] }))).toEqual({ '': [2, 2], Berlin: [1, 1] })
  })
})

describe('after ClickHouse collapses them', () => {
  it('give the same answers', async () => {
    await t.app.clickhouse.client.command({ query: 'SYSTEM START MERGES sessions' })
    await t.app.clickhouse.client.command({ query: 'OPTIMIZE TABLE sessions FINAL' })
    expect(await physicalRows(X.sessionId)).toEqual({ n: 1, net: 1 })
    expect(await physicalRows(Z.sessionId)).toEqual({ n: 1, net: 1 })
    expect(await answers()).toEqual(expected)
  })
})

describe('which table visitors by a visit dimension come from', () => {
  const sql = async (dimensions: string[], filters: unknown[] = []) => {
    const site = await t.app.sites.get(SITE)
    return buildQuery(parseQuery({ site_id: SITE, date_range: [DAY, DAY], metrics: ['visitors'], dimensions, filters } as never, site, Date.now(), { sessionPagesSince: 0 })).sql
  }
  it('sessions rows for stable dimensions and filters; events for a city, a version or an exit page', async () => {
    for (const dimensions of [['visit:source'], ['visit:country', 'visit:browser'], ['visit:utm_campaign']]) {
      const text = await sql(dimensions, [['is', 'event:page', ['/d']], ['is', 'visit:device', ['Desktop']]])
      expect(text, dimensions.join()).toContain('FROM sessions')
      expect(text, dimensions.join()).not.toContain('FROM events')
    }
    expect(await sql(['visit:city'])).toContain('FROM events')
    expect(await sql(['visit:browser_version'])).toContain('FROM events')
    expect(await sql(['visit:country'], [['is', 'visit:city', ['Berlin']]])).toContain('FROM events')
    expect(await sql(['visit:country'], [['is', 'visit:exit_page', ['/b']]])).toContain('FROM events')
  })
})
