// POST /api/v2/query metrics on a hand-built day (test/stats/dataset.ts): exact values, in
// aggregate and per dimension, and the metric/dimension combinations that are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { ALL_METRICS, DAY, SITE, seedDay, table } from './dataset.ts'

let t: TestApp
let key: string

beforeAll(async () => {
  t = await startTestApp()
  key = await t.addSite(SITE)
  await seedDay(t)
})
afterAll(() => t?.close())

const ALL = ALL_METRICS

async function query(body: Record<string, unknown>) {
  const response = await t.query(key, { site_id: SITE, date_range: [DAY, DAY], ...body })
  expect(response.statusCode, JSON.stringify(response.json)).toBe(200)
  return response.json
}

describe('aggregate', () => {
  it('computes every metric exactly', async () => {
    const json = await query({ metrics: ALL })
    expect(json.results).toEqual([{ metrics: [4, 5, 8, 11, 1.6, 40, 38], dimensions: [] }])
  })

  it('computes each metric alone the same as together', async () => {
    const expected = [4, 5, 8, 11, 1.6, 40, 38]
    for (const [index, metric] of ALL.entries()) {
      const json = await query({ metrics: [metric] })
      expect(json.results, metric).toEqual([{ metrics: [expected[index]], dimensions: [] }])
    }
  })

  it('answers one row of zeros for a range without traffic', async () => {
    const json = await query({ metrics: ALL, date_range: ['2025-01-01', '2025-01-31'] })
    expect(json.results).toEqual([{ metrics: [0, 0, 0, 0, 0, 0, 0], dimensions: [] }])
    const visitsOnly = await query({ metrics: ['visits', 'bounce_rate'], date_range: ['2025-01-01', '2025-01-31'] })
    expect(visitsOnly.results).toEqual([{ metrics: [0, 0], dimensions: [] }])
  })

  it('echoes the query it answered', async () => {
    const json = await query({ metrics: ['visitors'] })
    expect(json.query).toMatchObject({ site_id: SITE, metrics: ['visitors'], dimensions: [], filters: [], timezone: 'UTC' })
  })
})

describe('event dimensions', () => {
  it('event:page, with the session metrics of the visits that saw each page', async () => {
    const json = await query({ metrics: ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration'], dimensions: ['event:page'] })
    expect(table(json)).toEqual({
      '/': [3, 3, 3, 3, 33, 50],
      '/pricing': [2, 2, 2, 3, 0, 80],
      '/signup': [1, 1, 1, 2, 0, 120],
      '/blog': [2, 2, 2, 3, 50, 15],
    })
  })

  it('event:name', async () => {
    const json = await query({ metrics: ['visitors', 'visits', 'pageviews', 'events'], dimensions: ['event:name'] })
    expect(table(json)).toEqual({ pageview: [4, 5, 8, 8], Signup: [2, 2, 0, 2], Download: [1, 1, 0, 1] })
  })

  it('event:props:<name>; events without the property group under "(none)"', async () => {
    const json = await query({ metrics: ['visitors', 'events'], dimensions: ['event:props:plan'] })
    expect(table(json)).toEqual({ pro: [1, 1], free: [1, 1], '(none)': [4, 9] })
    const none = await query({ metrics: ['events'], filters: [['is', 'event:props:plan', ['(none)']]] })
    expect(none.results).toEqual([{ metrics: [9], dimensions: [] }])
    const file = await query({ metrics: ['events'], dimensions: ['event:props:file'], filters: [['is', 'event:name', ['Download']]] })
    expect(table(file)).toEqual({ 'a.pdf': [1] })
  })

  it('event:prop_name: the property names events carry, as a dimension and a filter', async () => {
    // Signup{plan} for A (V1) and B (V3); Download{file} for C (V4).
    expect(table(await query({ metrics: ['visitors', 'events'], dimensions: ['event:prop_name'] }))).toEqual({ plan: [2, 2], file: [1, 1] })
    expect(table(await query({ metrics: ['events'], dimensions: ['event:prop_name'], filters: [['is', 'event:name', ['Signup']]] }))).toEqual({ plan: [2] })
    expect((await query({ metrics: ['visitors', 'events'], filters: [['is', 'event:prop_name', ['file']]] })).results).toEqual([{ metrics: [1, 1], dimensions: [] }])
  })

  it('event:page combined with a time dimension', async () => {
    const json = await query({ metrics: ['pageviews', 'bounce_rate'], dimensions: ['time:hour', 'event:page'] })
    expect(table(json)).toEqual({
      '2026-03-10 09:00:00|/': [1, 0],
      '2026-03-10 09:00:00|/pricing': [1, 0],
      '2026-03-10 09:00:00|/signup': [1, 0],
      '2026-03-10 10:00:00|/': [1, 0],
      '2026-03-10 10:00:00|/blog': [1, 0],
      '2026-03-10 10:00:00|/pricing': [1, 0],
      '2026-03-10 15:00:00|/blog': [1, 100],
      '2026-03-10 23:00:00|/': [1, 100],
    })
  })
})

describe('session dimensions', () => {
  it('visit:entry_page', async () => {
    const json = await query({ metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'], dimensions: ['visit:entry_page'] })
    expect(table(json)).toEqual({ '/': [3, 3, 6, 33, 50], '/blog': [1, 1, 1, 100, 0], '/pricing': [1, 1, 1, 0, 40] })
  })

  it('visit:exit_page: the final exit page only, and visitors of live visits only', async () => {
    // V1's stale state exited on "/", as did V5: the "/" row is V5 alone.
    const json = await query({ metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'], dimensions: ['visit:exit_page'] })
    expect(table(json)).toEqual({
      '/signup': [1, 1, 3, 0, 120],
      '/blog': [2, 2, 3, 50, 15],
      '/pricing': [1, 1, 1, 0, 40],
      '/': [1, 1, 1, 100, 0],
    })
  })
})

describe('visit dimensions', () => {
  it('visit:source, showing an empty source as "Direct / None"', async () => {
    const json = await query({ metrics: ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration'], dimensions: ['visit:source'] })
    expect(table(json)).toEqual({
      Google: [2, 2, 4, 6, 0, 80],
      'Direct / None': [2, 2, 2, 2, 100, 0],
      Newsletter: [1, 1, 2, 3, 0, 30],
    })
  })

  it('visit:referrer: the full URL where kept, else the referring domain', async () => {
    const json = await query({ metrics: ['visitors', 'visits'], dimensions: ['visit:referrer'] })
    expect(table(json)).toEqual({ '': [3, 3], 'google.com': [1, 1], 'https://www.google.com/search': [1, 1] })
  })

  it.each([
    ['visit:utm_source', 'newsletter'],
    ['visit:utm_medium', 'email'],
    ['visit:utm_campaign', 'spring'],
    ['visit:utm_content', 'hero'],
    ['visit:utm_term', 'lamp'],
  ])('%s', async (dimension, value) => {
    const json = await query({ metrics: ['visitors', 'visits', 'pageviews'], dimensions: [dimension] })
    expect(table(json)).toEqual({ '': [3, 4, 6], [value]: [1, 1, 2] })
  })

  it('visit:country, visit:region, visit:city', async () => {
    const metrics = ['visitors', 'visits', 'pageviews']
    expect(table(await query({ metrics, dimensions: ['visit:country'] }))).toEqual({ DE: [2, 3, 5], FR: [1, 1, 2], RU: [1, 1, 1] })
    expect(table(await query({ metrics, dimensions: ['visit:region'] }))).toEqual({
      'DE-BE': [1, 2, 4],
      'DE-BY': [1, 1, 1],
      'FR-IDF': [1, 1, 2],
      'RU-MOW': [1, 1, 1],
    })
    expect(table(await query({ metrics, dimensions: ['visit:city'] }))).toEqual({
      Berlin: [1, 2, 4],
      München: [1, 1, 1],
      Paris: [1, 1, 2],
      Москва: [1, 1, 1],
    })
  })

  it('visit:browser, visit:os, visit:device', async () => {
    const metrics = ['visitors', 'visits']
    expect(table(await query({ metrics, dimensions: ['visit:browser'] }))).toEqual({ Chrome: [3, 3], Firefox: [1, 1], Safari: [1, 1] })
    expect(table(await query({ metrics, dimensions: ['visit:os'] }))).toEqual({
      Linux: [1, 1],
      Windows: [1, 1],
      iOS: [1, 1],
      Mac: [1, 1],
      Android: [1, 1],
    })
    expect(table(await query({ metrics, dimensions: ['visit:device'] }))).toEqual({ Desktop: [2, 3], Mobile: [2, 2] })
  })

  it('two visit dimensions together', async () => {
    const json = await query({ metrics: ['visitors', 'visits', 'bounce_rate'], dimensions: ['visit:country', 'visit:device'] })
    expect(table(json)).toEqual({ 'DE|Desktop': [2, 3, 33], 'FR|Mobile': [1, 1, 0], 'RU|Mobile': [1, 1, 100] })
  })
})

describe('time dimensions', () => {
  it('time:hour, with every hour of the day as a label', async () => {
    const json = await query({ metrics: ['visitors', 'pageviews', 'visits'], dimensions: ['time:hour'], include: { time_labels: true } })
    expect(json.results).toEqual([
      { dimensions: ['2026-03-10 09:00:00'], metrics: [1, 3, 1] },
      { dimensions: ['2026-03-10 10:00:00'], metrics: [2, 3, 2] },
      { dimensions: ['2026-03-10 15:00:00'], metrics: [1, 1, 1] },
      { dimensions: ['2026-03-10 23:00:00'], metrics: [1, 1, 1] },
    ])
    expect(json.meta.time_labels).toHaveLength(24)
    expect(json.meta.time_labels[0]).toBe('2026-03-10 00:00:00')
    expect(json.meta.time_labels[23]).toBe('2026-03-10 23:00:00')
  })

  it('time:day, excluding what falls one second outside the range', async () => {
    const json = await query({ metrics: ['visitors', 'pageviews', 'visits'], dimensions: ['time:day'], date_range: ['2026-03-09', '2026-03-11'] })
    expect(json.results).toEqual([
      { dimensions: ['2026-03-09'], metrics: [1, 1, 1] },
      { dimensions: ['2026-03-10'], metrics: [4, 8, 5] },
      { dimensions: ['2026-03-11'], metrics: [1, 1, 1] },
    ])
  })

  it('time:week (Mondays) and time:month', async () => {
    const range = ['2026-03-01', '2026-04-30']
    const weeks = await query({ metrics: ['visitors', 'pageviews', 'visits'], dimensions: ['time:week'], date_range: range, include: { time_labels: true } })
    expect(weeks.results).toEqual([
      { dimensions: ['2026-03-02'], metrics: [1, 1, 1] },
      { dimensions: ['2026-03-09'], metrics: [6, 10, 7] },
      { dimensions: ['2026-03-30'], metrics: [1, 1, 1] },
    ])
    expect(weeks.meta.time_labels).toEqual([
      '2026-02-23', '2026-03-02', '2026-03-09', '2026-03-16', '2026-03-23', '2026-03-30', '2026-04-06', '2026-04-13', '2026-04-20', '2026-04-27',
    ])
    const months = await query({ metrics: ['visitors', 'pageviews', 'visits'], dimensions: ['time:month'], date_range: range, include: { time_labels: true } })
    expect(months.results).toEqual([
      { dimensions: ['2026-03-01'], metrics: [7, 11, 8] },
      { dimensions: ['2026-04-01'], metrics: [1, 1, 1] },
    ])
    expect(months.meta.time_labels).toEqual(['2026-03-01', '2026-04-01'])
  })
})

describe('refused combinations answer 400 naming the field', () => {
  const refused: Array<[string, string[], string[]]> = [
    ['bounce rate by event:name', ['bounce_rate'], ['event:name']],
    ['visit duration by event:props', ['visit_duration'], ['event:props:plan']],
    ['visit duration by event:hostname', ['visit_duration'], ['event:hostname']],
    ['views per visit by event:page', ['views_per_visit'], ['event:page']],
    ['views per visit by event:name', ['views_per_visit'], ['event:name']],
    ['entry page with event:page', ['visitors'], ['visit:entry_page', 'event:page']],
    ['exit page with event:name', ['visits'], ['event:name', 'visit:exit_page']],
  ]
  it.each(refused)('%s', async (_, metrics, dimensions) => {
    const response = await t.query(key, { site_id: SITE, date_range: [DAY, DAY], metrics, dimensions })
    expect(response.statusCode).toBe(400)
    expect(response.json).toMatchObject({ error: 'invalid_request', field: expect.stringMatching(/^(metrics|dimensions)$/) })
    expect(response.json.message).toMatch(/event dimension|cannot be (queried|combined)/)
  })
})
