// Stats API filters on the hand-built day (test/stats/dataset.ts): is / is_not / contains /
// contains_not on event and visit dimensions, case sensitivity, and filters that cross from
// events to visits (an event filter selects the visits that had such an event) and back (an
// entry or exit page filter selects the events of such visits).
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

async function aggregate(filters: unknown[], metrics = ALL): Promise<number[]> {
  const response = await t.query(key, { site_id: SITE, date_range: [DAY, DAY], metrics, filters })
  expect(response.statusCode, JSON.stringify(response.json)).toBe(200)
  expect(response.json.results).toHaveLength(1)
  return response.json.results[0].metrics
}

describe('event:page', () => {
  it('is: the page’s events, and the visits that saw it', async () => {
    // Events on /pricing: V1's pageview, V4's pageview and download. Visits V1 and V4.
    expect(await aggregate([['is', 'event:page', ['/pricing']]])).toEqual([2, 2, 2, 3, 2, 0, 80])
  })

  it('is with several values', async () => {
    expect(await aggregate([['is', 'event:page', ['/pricing', '/signup']]], ['visitors', 'visits', 'pageviews', 'events'])).toEqual([2, 2, 3, 5])
  })

  it('is_not: the other pages’ events, and the visits that saw another page', async () => {
    // D only ever saw "/"; V5 drops out.
    expect(await aggregate([['is_not', 'event:page', ['/']]], ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate'])).toEqual([3, 4, 5, 8, 25])
  })

  it('contains and contains_not', async () => {
    expect(await aggregate([['contains', 'event:page', ['pric']]], ['visitors', 'visits', 'pageviews'])).toEqual([2, 2, 2])
    expect(await aggregate([['contains', 'event:page', ['pric', 'sign']]], ['visitors', 'visits', 'pageviews'])).toEqual([2, 2, 3])
    // Every page but /blog: all but V2's and V3's /blog events.
    expect(await aggregate([['contains_not', 'event:page', ['blog']]], ['visitors', 'pageviews', 'events'])).toEqual([4, 6, 8])
  })

  it('is case-sensitive unless told otherwise', async () => {
    expect(await aggregate([['is', 'event:page', ['/PRICING']]], ['visitors', 'pageviews'])).toEqual([0, 0])
    expect(await aggregate([['is', 'event:page', ['/PRICING'], { case_sensitive: true }]], ['visitors', 'pageviews'])).toEqual([0, 0])
    expect(await aggregate([['is', 'event:page', ['/PRICING'], { case_sensitive: false }]], ['visitors', 'pageviews'])).toEqual([2, 2])
    expect(await aggregate([['contains', 'event:page', ['PRIC']]], ['visitors', 'pageviews'])).toEqual([0, 0])
    expect(await aggregate([['contains', 'event:page', ['PRIC'], { case_sensitive: false }]], ['visitors', 'pageviews'])).toEqual([2, 2])
    expect(await aggregate([['contains_not', 'event:page', ['BLOG'], { case_sensitive: false }]], ['pageviews'])).toEqual([6])
    expect(await aggregate([['is_not', 'event:page', ['/BLOG', '/'], { case_sensitive: false }]], ['pageviews'])).toEqual([3])
  })
})

describe('event:name and event:props', () => {
  it('an event filter selects the visits that had such an event', async () => {
    // Signup happened in V1 (3 pageviews, 120 s) and V3 (2 pageviews, 30 s). The filtered events
    // hold no pageview; views per visit are those of the visits.
    expect(await aggregate([['is', 'event:name', ['Signup']]])).toEqual([2, 2, 0, 2, 2.5, 0, 75])
  })

  it('a property filter', async () => {
    expect(await aggregate([['is', 'event:props:plan', ['pro']]], ['visitors', 'visits', 'events', 'visit_duration'])).toEqual([1, 1, 1, 120])
    expect(await aggregate([['is_not', 'event:props:plan', ['pro']], ['is', 'event:name', ['Signup']]], ['visitors', 'events'])).toEqual([1, 1])
    expect(await aggregate([['contains', 'event:props:file', ['.pdf']]], ['visitors', 'visits', 'bounce_rate'])).toEqual([1, 1, 0])
  })

  it('filters and groups together', async () => {
    const response = await t.query(key, {
      site_id: SITE,
      date_range: [DAY, DAY],
      metrics: ['visitors', 'visits', 'events'],
      dimensions: ['visit:source'],
      filters: [['is', 'event:name', ['Signup', 'Download']]],
    })
    expect(table(response.json)).toEqual({ Google: [2, 2, 2], Newsletter: [1, 1, 1] })
  })
})

describe('visit dimensions', () => {
  it('is / is_not on country, for event and visit metrics alike', async () => {
    expect(await aggregate([['is', 'visit:country', ['DE']]])).toEqual([2, 3, 5, 7, 1.67, 33, 53])
    expect(await aggregate([['is_not', 'visit:country', ['DE']]], ['visitors', 'visits', 'pageviews'])).toEqual([2, 2, 3])
  })

  it('"Direct / None" filters the visits without a source', async () => {
    expect(await aggregate([['is', 'visit:source', ['Direct / None']]], ['visitors', 'visits', 'pageviews'])).toEqual([2, 2, 2])
    expect(await aggregate([['is_not', 'visit:source', ['Direct / None']]], ['visitors', 'visits', 'pageviews'])).toEqual([3, 3, 6])
  })

  it('contains / contains_not on browser, os, utm', async () => {
    expect(await aggregate([['contains', 'visit:browser', ['fire', 'saf'], { case_sensitive: false }]], ['visitors', 'visits'])).toEqual([2, 2])
    expect(await aggregate([['contains_not', 'visit:os', ['i']]], ['visitors', 'visits'])).toEqual([1, 1])
    expect(await aggregate([['is', 'visit:utm_campaign', ['spring']]], ['visitors', 'pageviews'])).toEqual([1, 2])
  })

  it('case-insensitive matching folds non-ASCII letters too', async () => {
    expect(await aggregate([['is', 'visit:city', ['москва'], { case_sensitive: false }]], ['visitors', 'visits'])).toEqual([1, 1])
    expect(await aggregate([['is', 'visit:city', ['MÜNCHEN'], { case_sensitive: false }]], ['visitors', 'visits'])).toEqual([1, 1])
    expect(await aggregate([['contains', 'visit:city', ['МОСК'], { case_sensitive: false }]], ['visitors'])).toEqual([1])
    expect(await aggregate([['is', 'visit:city', ['москва']]], ['visitors'])).toEqual([0])
  })

  it('several filters are ANDed', async () => {
    expect(await aggregate([['is', 'visit:country', ['DE']], ['is', 'visit:browser', ['Chrome']]], ['visitors', 'visits'])).toEqual([2, 2])
    expect(await aggregate([['is', 'visit:country', ['DE']], ['is', 'event:page', ['/blog']]], ['visitors', 'visits', 'pageviews'])).toEqual([1, 1, 1])
  })
})

describe('entry and exit pages', () => {
  it('an entry page filter selects the events of the visits that entered there', async () => {
    // V1, V3, V5 entered on "/": 3 + 2 + 1 pageviews, 4 + 3 + 1 events.
    expect(await aggregate([['is', 'visit:entry_page', ['/']]])).toEqual([3, 3, 6, 8, 2, 33, 50])
  })

  it('an exit page filter reads the final exit page, not a stale one', async () => {
    // V1's stale state exited on "/", its final state on /signup; only V5 exited on "/".
    expect(await aggregate([['is', 'visit:exit_page', ['/']]])).toEqual([1, 1, 1, 1, 1, 100, 0])
    expect(await aggregate([['is', 'visit:exit_page', ['/']]], ['visitors', 'visits'])).toEqual([1, 1])
    expect(await aggregate([['is', 'visit:exit_page', ['/signup']]], ['visitors', 'visits', 'pageviews'])).toEqual([1, 1, 3])
  })

  it('an exit page filter with a page breakdown', async () => {
    const response = await t.query(key, {
      site_id: SITE,
      date_range: [DAY, DAY],
      metrics: ['visitors', 'pageviews'],
      dimensions: ['event:page'],
      filters: [['contains_not', 'visit:exit_page', ['blog']]],
    })
    // V1 (exit /signup), V4 (/pricing), V5 (/).
    expect(table(response.json)).toEqual({ '/': [2, 2], '/pricing': [2, 2], '/signup': [1, 1] })
  })
})

describe('refused filters answer 400 naming the filter', () => {
  const refused: Array<[string, unknown[], RegExp]> = [
    ['an unknown operator', ['matches', 'event:page', ['/']], /unknown filter operator "matches"/],
    ['an unknown dimension', ['is', 'visit:planet', ['Mars']], /unknown dimension "visit:planet"/],
    ['a time dimension', ['is', 'time:day', ['2026-03-10']], /date_range/],
    ['an empty value list', ['is', 'event:page', []], /1 to 100 values/],
    ['an unknown modifier', ['is', 'event:page', ['/'], { regex: true }], /case_sensitive/],
    ['a non-boolean modifier', ['is', 'event:page', ['/'], { case_sensitive: 'no' }], /case_sensitive/],
    ['an object as a value', ['is', 'event:page', [{ path: '/' }]], /strings/],
  ]
  it.each(refused)('%s', async (_, filter, message) => {
    const response = await t.query(key, { site_id: SITE, date_range: [DAY, DAY], metrics: ['visitors'], filters: [['is', 'event:page', ['/']], filter] })
    expect(response.statusCode).toBe(400)
    expect(response.json).toMatchObject({ error: 'invalid_request', field: 'filters[1]' })
    expect(response.json.message).toMatch(message)
  })
})
