// The whole pipeline with Postgres on the server at DATABASE_URL (a temporary database) instead
// of PGlite: sites, keys, salts and migrations there, events through ingest, numbers back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIREFOX, startTestApp, type TestApp } from '../helpers/app.ts'
import { explainSkip, serverUrl } from '../helpers/postgres.ts'

if (!serverUrl) explainSkip()

describe.skipIf(!serverUrl)('on the PostgreSQL server', () => {
  let t: TestApp
  let key: string
  beforeAll(async () => {
    t = await startTestApp({ postgres: 'server' })
    key = await t.addSite('shop.test', { timezone: 'America/New_York' })
  })
  afterAll(() => t?.close())

  it('uses the server, not PGlite', () => {
    expect(t.app.postgres.embedded).toBe(false)
  })

  it('ingests events and answers the Stats API', async () => {
    await t.send({ n: 'pageview', u: 'https://shop.test/', d: 'shop.test', r: 'https://news.ycombinator.com/item?id=1' }, { ip: '198.51.100.1' })
    await t.send({ n: 'pageview', u: 'https://shop.test/pricing', d: 'shop.test' }, { ip: '198.51.100.1' })
    await t.send({ n: 'pageview', u: 'https://shop.test/', d: 'shop.test' }, { ip: '198.51.100.2', userAgent: FIREFOX })
    await t.send({ n: 'Signup', u: 'https://shop.test/pricing', d: 'shop.test' }, { ip: '198.51.100.2', userAgent: FIREFOX })
    await t.flush()
    const response = await t.query(key, { site_id: 'shop.test', metrics: ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate'], date_range: 'day' })
    expect(response.statusCode).toBe(200)
    expect(response.json.results).toEqual([{ metrics: [2, 2, 3, 4, 0], dimensions: [] }])
    const sources = await t.query(key, { site_id: 'shop.test', metrics: ['visitors'], date_range: 'day', dimensions: ['visit:source'] })
    expect(sources.json.results).toEqual([
      { metrics: [1], dimensions: ['Direct / None'] },
      { metrics: [1], dimensions: ['Hacker News'] },
    ])
    const salts = await t.app.postgres.query<{ n: number }>('SELECT count(*)::int AS n FROM salts')
    expect(salts[0]!.n).toBeGreaterThanOrEqual(3)
  })
})
