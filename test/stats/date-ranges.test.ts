// Date ranges and time buckets in the site's own time zone: keywords counted back from `date` (or
// the site's today), [from, to] dates and ISO 8601 instants, a half-hour zone (Asia/Kolkata,
// +05:30) and a zone west of UTC with daylight saving time (America/New_York).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { visits } from '../helpers/factories.ts'
import { localDay, shiftDay } from '../../server/time.ts'
import { table } from './dataset.ts'

let t: TestApp
const keys: Record<string, string> = {}
const KOLKATA = 'kolkata.test'
const NEW_YORK = 'newyork.test'
const NOW = 'now.test'
let nowSeconds: number

beforeAll(async () => {
  t = await startTestApp()
  keys[KOLKATA] = await t.addSite(KOLKATA, { timezone: 'Asia/Kolkata' })
  keys[NEW_YORK] = await t.addSite(NEW_YORK, { timezone: 'America/New_York' })
  keys[NOW] = await t.addSite(NOW, { timezone: 'Pacific/Auckland' })
  const at = (site: string, start: string, page: string) => ({ site, start, pages: [page] })
  nowSeconds = Math.floor(Date.now() / 1000)
  await visits(t, [
    // Kolkata, local times in the comments.
    at(KOLKATA, '2026-03-09T18:29:00Z', '/k0'), // 03-09 23:59
    at(KOLKATA, '2026-03-09T18:50:00Z', '/k1'), // 03-10 00:20
    at(KOLKATA, '2026-03-09T23:59:00Z', '/k2'), // 03-10 05:29
    at(KOLKATA, '2026-03-10T00:01:00Z', '/k3'), // 03-10 05:31
    at(KOLKATA, '2026-03-10T18:20:00Z', '/k4'), // 03-10 23:50
    at(KOLKATA, '2026-03-10T18:40:00Z', '/k5'), // 03-11 00:10
    // New York: EST (-05:00) until 2026-03-08 02:00, then EDT (-04:00).
    at(NEW_YORK, '2026-01-16T04:50:00Z', '/winter'), // 01-15 23:50 EST
    at(NEW_YORK, '2026-02-09T04:59:00Z', '/n5'), // 02-08 23:59 EST
    at(NEW_YORK, '2026-02-09T05:00:00Z', '/n4'), // 02-09 00:00 EST
    at(NEW_YORK, '2026-03-01T04:59:00Z', '/n7'), // 02-28 23:59 EST
    at(NEW_YORK, '2026-03-04T04:59:59Z', '/n0'), // 03-03 23:59:59 EST
    at(NEW_YORK, '2026-03-04T05:00:00Z', '/n1'), // 03-04 00:00 EST
    at(NEW_YORK, '2026-03-08T07:30:00Z', '/n9'), // 03-08 03:30 EDT, just after the clocks went forward
    at(NEW_YORK, '2026-03-11T03:50:00Z', '/n2'), // 03-10 23:50 EDT
    at(NEW_YORK, '2026-03-11T04:00:00Z', '/n3'), // 03-11 00:00 EDT
    at(NEW_YORK, '2026-04-01T03:59:00Z', '/n6'), // 03-31 23:59 EDT
    at(NEW_YORK, '2026-04-01T04:00:00Z', '/n8'), // 04-01 00:00 EDT
    // Now, on a site whose today is far from UTC's.
    { site: NOW, start: nowSeconds * 1000, pages: ['/now'] },
  ])
})
afterAll(() => t?.close())

async function query(site: string, body: Record<string, unknown>) {
  const response = await t.query(keys[site]!, { site_id: site, metrics: ['pageviews', 'visits'], ...body })
  expect(response.statusCode, JSON.stringify(response.json)).toBe(200)
  return response.json
}
const pages = async (site: string, body: Record<string, unknown>) =>
  (await query(site, { metrics: ['pageviews'], dimensions: ['event:page'], ...body })).results.map((row: { dimensions: string[] }) => row.dimensions[0]).sort()

describe('Asia/Kolkata (+05:30)', () => {
  it('an event at 23:50 local is in its local day, the one after 00:00 in the next', async () => {
    const json = await query(KOLKATA, { dimensions: ['time:day'], date_range: ['2026-03-09', '2026-03-11'] })
    expect(json.results).toEqual([
      { dimensions: ['2026-03-09'], metrics: [1, 1] },
      { dimensions: ['2026-03-10'], metrics: [4, 4] },
      { dimensions: ['2026-03-11'], metrics: [1, 1] },
    ])
  })

  it('hours are local hours, half an hour off UTC’s', async () => {
    const json = await query(KOLKATA, { dimensions: ['time:hour'], date_range: 'day', date: '2026-03-10', include: { time_labels: true } })
    expect(table(json)).toEqual({
      '2026-03-10 00:00:00': [1, 1],
      '2026-03-10 05:00:00': [2, 2],
      '2026-03-10 23:00:00': [1, 1],
    })
    expect(json.meta.time_labels).toEqual(Array.from({ length: 24 }, (_, hour) => `2026-03-10 ${String(hour).padStart(2, '0')}:00:00`))
  })

  it('a [from, to] of dates covers whole local days', async () => {
    expect(await pages(KOLKATA, { date_range: ['2026-03-10', '2026-03-10'] })).toEqual(['/k1', '/k2', '/k3', '/k4'])
  })

  it('ISO instants are instants, whatever their offset', async () => {
    expect(await pages(KOLKATA, { date_range: ['2026-03-10T18:00:00Z', '2026-03-10T18:30:00Z'] })).toEqual(['/k4'])
    expect(await pages(KOLKATA, { date_range: ['2026-03-10T23:30:00+05:30', '2026-03-11T00:00:00+05:30'] })).toEqual(['/k4'])
    // The end is exclusive.
    expect(await pages(KOLKATA, { date_range: ['2026-03-10T18:20:01Z', '2026-03-10T18:40:00Z'] })).toEqual([])
  })
})

describe('America/New_York (-05:00, -04:00 in summer)', () => {
  it('an event at 23:50 local is in its local day and hour, in summer and in winter', async () => {
    const summer = await query(NEW_YORK, { dimensions: ['time:hour'], date_range: 'day', date: '2026-03-10' })
    expect(summer.results).toEqual([{ dimensions: ['2026-03-10 23:00:00'], metrics: [1, 1] }])
    const winter = await query(NEW_YORK, { dimensions: ['time:day'], date_range: ['2026-01-15', '2026-01-16'] })
    expect(winter.results).toEqual([{ dimensions: ['2026-01-15'], metrics: [1, 1] }])
    const winterHour = await query(NEW_YORK, { dimensions: ['time:hour'], date_range: ['2026-01-15', '2026-01-15'] })
    expect(winterHour.results).toEqual([{ dimensions: ['2026-01-15 23:00:00'], metrics: [1, 1] }])
  })

  it('the day the clocks go forward', async () => {
    const json = await query(NEW_YORK, { dimensions: ['time:hour'], date_range: ['2026-03-08', '2026-03-08'] })
    expect(json.results).toEqual([{ dimensions: ['2026-03-08 03:00:00'], metrics: [1, 1] }])
  })

  it('"day", "7d", "30d", "month" count back from `date`, to the second', async () => {
    const date = '2026-03-10'
    expect(await pages(NEW_YORK, { date_range: 'day', date })).toEqual(['/n2'])
    expect(await pages(NEW_YORK, { date_range: '7d', date })).toEqual(['/n1', '/n2', '/n9'])
    expect(await pages(NEW_YORK, { date_range: ['2026-03-04', '2026-03-10'] })).toEqual(['/n1', '/n2', '/n9'])
    expect(await pages(NEW_YORK, { date_range: '30d', date })).toEqual(['/n0', '/n1', '/n2', '/n4', '/n7', '/n9'])
    expect(await pages(NEW_YORK, { date_range: 'month', date })).toEqual(['/n0', '/n1', '/n2', '/n3', '/n6', '/n9'])
  })

  it('"yesterday" and "last_month" are the site\'s own calendar, counted back from `date`', async () => {
    const date = '2026-03-11'
    expect(await pages(NEW_YORK, { date_range: 'yesterday', date })).toEqual(await pages(NEW_YORK, { date_range: ['2026-03-10', '2026-03-10'] }))
    expect((await query(NEW_YORK, { date_range: 'yesterday', date })).query.date_range).toEqual(['2026-03-10 00:00:00', '2026-03-11 00:00:00'])
    expect((await query(NEW_YORK, { date_range: 'last_month', date })).query.date_range).toEqual(['2026-02-01 00:00:00', '2026-03-01 00:00:00'])
    expect((await query(NEW_YORK, { date_range: 'last_month', date: '2026-01-31' })).query.date_range).toEqual(['2025-12-01 00:00:00', '2026-01-01 00:00:00'])
  })

  it('lists every day of the range as a time label, and echoes the range in local time', async () => {
    const json = await query(NEW_YORK, { dimensions: ['time:day'], date_range: '7d', date: '2026-03-10', include: { time_labels: true } })
    expect(json.results).toEqual([
      { dimensions: ['2026-03-04'], metrics: [1, 1] },
      { dimensions: ['2026-03-08'], metrics: [1, 1] },
      { dimensions: ['2026-03-10'], metrics: [1, 1] },
    ])
    expect(json.meta.time_labels).toEqual(['2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08', '2026-03-09', '2026-03-10'])
    expect(json.query.date_range).toEqual(['2026-03-04 00:00:00', '2026-03-11 00:00:00'])
    expect(json.query.timezone).toBe('America/New_York')
  })

  it('time:month buckets by local month', async () => {
    const json = await query(NEW_YORK, { dimensions: ['time:month'], date_range: ['2026-02-01', '2026-04-30'] })
    expect(table(json)).toEqual({ '2026-02-01': [3, 3], '2026-03-01': [6, 6], '2026-04-01': [1, 1] })
  })

  it('ISO instants, and their time labels in local days', async () => {
    const json = await query(NEW_YORK, {
      dimensions: ['time:hour'],
      date_range: ['2026-03-11T03:00:00Z', '2026-03-11T04:00:00Z'],
      include: { time_labels: true },
    })
    expect(json.results).toEqual([{ dimensions: ['2026-03-10 23:00:00'], metrics: [1, 1] }])
    expect(json.meta.time_labels).toHaveLength(24)
    expect(json.meta.time_labels[0]).toBe('2026-03-10 00:00:00')
  })
})

describe('relative to the site’s today (Pacific/Auckland)', () => {
  it.each(['day', '7d', '30d', 'month', 'all', 'realtime', '30m'])('"%s" holds a visit from just now', async (range) => {
    const json = await query(NOW, { date_range: range })
    expect(json.results).toEqual([{ metrics: [1, 1], dimensions: [] }])
  })

  it('"day" is the site’s local today, not UTC’s', async () => {
    const today = localDay('Pacific/Auckland', nowSeconds * 1000)
    const json = await query(NOW, { date_range: 'day', dimensions: ['time:day'] })
    expect(json.results).toEqual([{ metrics: [1, 1], dimensions: [today] }])
    expect(await query(NOW, { date_range: 'day', date: shiftDay(today, -1) })).toMatchObject({ results: [{ metrics: [0, 0] }] })
  })

  it('ISO instants around now', async () => {
    const around = [new Date((nowSeconds - 60) * 1000).toISOString(), new Date((nowSeconds + 60) * 1000).toISOString()]
    expect((await query(NOW, { date_range: around })).results).toEqual([{ metrics: [1, 1], dimensions: [] }])
  })
})

describe('bad ranges answer 400 naming date_range or date, and change nothing', () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['an unknown keyword', { date_range: 'fortnight' }, 'date_range', /unknown date_range "fortnight"/],
    ['from after to', { date_range: ['2026-03-10', '2026-03-09'] }, 'date_range', /starts after it ends/],
    ['an impossible date', { date_range: ['2026-02-30', '2026-03-01'] }, 'date_range', /two dates/],
    ['an instant without offset', { date_range: ['2026-03-10T18:00:00', '2026-03-10T19:00:00'] }, 'date_range', /offset/],
    ['a date and an instant mixed', { date_range: ['2026-03-10', '2026-03-10T19:00:00Z'] }, 'date_range', /two dates/],
    ['instants in the wrong order', { date_range: ['2026-03-10T19:00:00Z', '2026-03-10T18:00:00Z'] }, 'date_range', /starts after it ends/],
    ['one bound', { date_range: ['2026-03-10'] }, 'date_range', /./],
    ['a number', { date_range: 7 }, 'date_range', /./],
    ['an impossible `date`', { date_range: 'day', date: '2026-02-30' }, 'date', /not a date/],
    ['a `date` in another format', { date_range: 'day', date: '10.03.2026' }, 'date', /./],
  ]
  it.each(cases)('%s', async (_, body, field, message) => {
    const response = await t.query(keys[KOLKATA]!, { site_id: KOLKATA, metrics: ['visitors'], ...body })
    expect(response.statusCode).toBe(400)
    expect(response.json).toMatchObject({ error: 'invalid_request', field: expect.stringMatching(new RegExp(`^${field}`)) })
    expect(response.json.message).toMatch(message)
  })

  it('a time label request without a time dimension', async () => {
    const response = await t.query(keys[KOLKATA]!, { site_id: KOLKATA, metrics: ['visitors'], date_range: 'day', include: { time_labels: true } })
    expect(response.statusCode).toBe(400)
    expect(response.json).toMatchObject({ field: 'include.time_labels' })
  })
})
