// End to end once: events sent through POST /api/event (ingest's own rows: visit states with
// their cancel rows) read back through the Stats API for "today".
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROME, FIREFOX, startTestApp, type TestApp } from '../helpers/app.ts'
import { table } from './dataset.ts'

const SITE = 'e2e.test'
let t: TestApp
let key: string

beforeAll(async () => {
  t = await startTestApp()
  key = await t.addSite(SITE, { timezone: 'Europe/Berlin' })
  const first = { ip: '203.0.113.10', userAgent: CHROME }
  const second = { ip: '198.51.100.20', userAgent: FIREFOX }
  const sent = [
    await t.send({ n: 'pageview', u: `https://${SITE}/`, d: SITE }, first),
    await t.send({ n: 'pageview', u: `https://${SITE}/pricing?utm_source=spam&secret=1`, d: SITE }, first),
    await t.send({ n: 'Signup', u: `https://${SITE}/pricing`, d: SITE, p: { plan: 'pro' } }, first),
    await t.send({ n: 'pageview', u: `https://${SITE}/`, d: SITE, r: 'https://www.google.com/' }, second),
  ]
  for (const response of sent) {
    expect(response.statusCode).toBe(202)
    expect(response.headers['x-candor-dropped']).toBeUndefined()
  }
  await t.flush()
})
afterAll(() => t?.close())

async function query(body: Record<string, unknown>) {
  const response = await t.query(key, { site_id: SITE, date_range: 'day', ...body })
  expect(response.statusCode, JSON.stringify(response.json)).toBe(200)
  return response.json
}

describe('what ingest wrote, through the Stats API', () => {
  it('stored the visits as states with cancel rows', async () => {
    const [states] = await t.rows<{ rows: number; net: number }>('SELECT count() AS rows, sum(sign) AS net FROM sessions')
    expect(states!.net).toBe(2)
    expect(states!.rows).toBeGreaterThanOrEqual(2)
  })

  it('aggregate: 2 visitors, 3 pageviews, 4 events, one bounce in two visits', async () => {
    const [visitors, visits, pageviews, events, viewsPerVisit, bounceRate, duration] = (
      await query({ metrics: ['visitors', 'visits', 'pageviews', 'events', 'views_per_visit', 'bounce_rate', 'visit_duration'] })
    ).results[0].metrics
    expect({ visitors, visits, pageviews, events, viewsPerVisit, bounceRate }).toEqual({
      visitors: 2,
      visits: 2,
      pageviews: 3,
      events: 4,
      viewsPerVisit: 1.5,
      bounceRate: 50,
    })
    // Seconds between the first visitor's events: whatever the machine took, never negative.
    expect(duration).toBeGreaterThanOrEqual(0)
  })

  it('per page, per event name, per exit page, per source and browser', async () => {
    expect(table(await query({ metrics: ['visitors', 'pageviews', 'bounce_rate'], dimensions: ['event:page'] }))).toEqual({
      '/': [2, 2, 50],
      '/pricing': [1, 1, 0],
    })
    expect(table(await query({ metrics: ['visitors', 'events'], dimensions: ['event:name'] }))).toEqual({ pageview: [2, 3], Signup: [1, 1] })
    expect(table(await query({ metrics: ['events'], dimensions: ['event:props:plan'], filters: [['is', 'event:name', ['Signup']]] }))).toEqual({ pro: [1] })
    // The first visit's earlier states exited on "/"; only its last state (exit /pricing) counts.
    expect(table(await query({ metrics: ['visitors', 'visits', 'pageviews'], dimensions: ['visit:exit_page'] }))).toEqual({
      '/': [1, 1, 1],
      '/pricing': [1, 1, 2],
    })
    expect(table(await query({ metrics: ['visitors', 'visits'], dimensions: ['visit:entry_page'] }))).toEqual({ '/': [2, 2] })
    expect(table(await query({ metrics: ['visitors', 'bounce_rate'], dimensions: ['visit:source'] }))).toEqual({
      'Direct / None': [1, 0],
      Google: [1, 100],
    })
    expect(table(await query({ metrics: ['visitors'], dimensions: ['visit:browser'] }))).toEqual({ Chrome: [1], Firefox: [1] })
  })

  it('today in the site’s zone, as one day bucket', async () => {
    const json = await query({ metrics: ['visitors', 'visits'], dimensions: ['time:day'] })
    expect(json.results).toHaveLength(1)
    expect(json.results[0].metrics).toEqual([2, 2])
    expect(json.results[0].dimensions[0]).toBe(json.query.date_range[0].slice(0, 10))
  })
})
