// Goals: the routes (who may list, add and remove them; what a goal may be), event:goal as a
// dimension and a filter, and conversion_rate worked out by hand on the shared day
// (test/stats/dataset.ts). Goals of that day:
//   Signup          event Signup       A (V1), B (V3)              2 visitors, 2 events
//   Visit /blog*    pageviews /blog…   A (V2), B (V3)              2 visitors
//   Got the PDF     event Download     C (V4)                      1 visitor
//   Purchase        event Purchase     —
//   Visit /s.gnup   pageviews /s.gnup  — (the dot is a dot: /signup does not match)
// Visitors that day: 4 (A, B, C, D).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pathPattern } from '../../server/goals/index.ts'
import { signUp, type Agent } from '../helpers/accounts.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { visits } from '../helpers/factories.ts'
import { DAY, SITE, seedDay, table } from './dataset.ts'

let t: TestApp
let key: string
let manager: Agent
let viewer: Agent
let stranger: Agent
const goalsUrl = `/api/sites/${SITE}/goals`
const funnelsUrl = `/api/sites/${SITE}/funnels`

beforeAll(async () => {
  t = await startTestApp()
  key = await t.addSite(SITE)
  await seedDay(t)
  ;[manager, viewer, stranger] = [await signUp(t), await signUp(t), await signUp(t)]
  const site = await t.app.sites.get(SITE)
  await t.app.sites.staff.add(site.id, manager.user.id, 'manager')
  await t.app.sites.staff.add(site.id, viewer.user.id, 'viewer')
})
afterAll(() => t?.close())

const goalCount = async () => (await t.app.postgres.query<{ n: number }>('SELECT count(*)::int AS n FROM goals'))[0]!.n
const funnelCount = async () => (await t.app.postgres.query<{ n: number }>('SELECT count(*)::int AS n FROM funnels'))[0]!.n

describe('goal routes', () => {
  it('a manager adds goals; display names default to the event name or "Visit <path>"', async () => {
    const signup = await manager.request('POST', goalsUrl, { kind: 'event', event_name: 'Signup' })
    expect(signup.statusCode, signup.body).toBe(201)
    expect(signup.json()).toEqual({ id: expect.any(Number), kind: 'event', event_name: 'Signup', page_path: null, display_name: 'Signup' })
    const blog = await manager.request('POST', goalsUrl, { kind: 'page', page_path: '/blog*' })
    expect(blog.json()).toEqual({ id: expect.any(Number), kind: 'page', event_name: null, page_path: '/blog*', display_name: 'Visit /blog*' })
    for (const body of [
      { kind: 'event', event_name: 'Download', display_name: 'Got the PDF' },
      { kind: 'event', event_name: 'Purchase' },
      { kind: 'page', page_path: '/s.gnup' },
    ]) {
      expect((await manager.request('POST', goalsUrl, body)).statusCode).toBe(201)
    }
  })

  it('a viewer lists them, in the order added', async () => {
    const response = await viewer.request('GET', goalsUrl)
    expect(response.statusCode).toBe(200)
    expect(response.json().goals.map((goal: { display_name: string }) => goal.display_name)).toEqual(['Signup', 'Visit /blog*', 'Got the PDF', 'Purchase', 'Visit /s.gnup'])
  })

  it('a viewer may not add or remove (403); a stranger does not see the site (404); no session: 401', async () => {
    const [first] = (await viewer.request('GET', goalsUrl)).json().goals
    expect((await viewer.request('POST', goalsUrl, { kind: 'event', event_name: 'X' })).statusCode).toBe(403)
    expect((await viewer.request('DELETE', `${goalsUrl}/${first.id}`)).statusCode).toBe(403)
    expect((await stranger.request('GET', goalsUrl)).statusCode).toBe(404)
    expect((await stranger.request('POST', goalsUrl, { kind: 'event', event_name: 'X' })).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'GET', url: goalsUrl })).statusCode).toBe(401)
    expect((await manager.request('POST', goalsUrl, { kind: 'event', event_name: 'X' }, { 'x-csrf-token': 'wrong' })).statusCode).toBe(403)
    expect(await goalCount()).toBe(5)
  })

  it.each<[string, Record<string, unknown>, number, string | undefined]>([
    ['an event goal without a name', { kind: 'event' }, 400, 'event_name'],
    ['an empty event name', { kind: 'event', event_name: '  ' }, 400, 'event_name'],
    ['an event name of 121 characters', { kind: 'event', event_name: 'e'.repeat(121) }, 400, 'event_name'],
    ['an event goal with a page path', { kind: 'event', event_name: 'A', page_path: '/a' }, 400, 'page_path'],
    ['a page goal without a path', { kind: 'page' }, 400, 'page_path'],
    ['a path without a leading slash', { kind: 'page', page_path: 'blog' }, 400, 'page_path'],
    ['a path of 2001 characters', { kind: 'page', page_path: `/${'p'.repeat(2000)}` }, 400, 'page_path'],
    ['a page goal with an event name', { kind: 'page', page_path: '/a', event_name: 'A' }, 400, 'event_name'],
    ['an empty display name', { kind: 'event', event_name: 'Other', display_name: '' }, 400, 'display_name'],
    ['an unknown kind', { kind: 'click', event_name: 'A' }, 400, undefined],
    ['an unknown field', { kind: 'event', event_name: 'A', value: 1 }, 400, undefined],
    ['the same event again', { kind: 'event', event_name: 'Signup', display_name: 'Another name' }, 409, 'event_name'],
    ['the same path again', { kind: 'page', page_path: '/blog*', display_name: 'Blog' }, 409, 'page_path'],
    ['a display name taken', { kind: 'event', event_name: 'Other', display_name: 'Visit /blog*' }, 409, 'display_name'],
  ])('%s: %i, nothing written', async (_, body, status, field) => {
    const response = await manager.request('POST', goalsUrl, body)
    expect(response.statusCode, response.body).toBe(status)
    expect(response.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) })
    if (field) expect(response.json().field).toBe(field)
    expect(await goalCount()).toBe(5)
  })

  it('a manager removes a goal (204); removing it again or another site’s: 404', async () => {
    const added = (await manager.request('POST', goalsUrl, { kind: 'event', event_name: 'Temporary' })).json()
    expect((await manager.request('DELETE', `${goalsUrl}/${added.id}`)).statusCode).toBe(204)
    expect((await manager.request('DELETE', `${goalsUrl}/${added.id}`)).statusCode).toBe(404)
    expect((await manager.request('DELETE', `${goalsUrl}/0`)).statusCode).toBe(400)
    expect(await goalCount()).toBe(5)
  })
})

describe('page paths as patterns', () => {
  it('`*` matches anything; everything else stands for itself, anchored', () => {
    expect(pathPattern('/blog*')).toBe('^/blog.*$')
    expect(pathPattern('/a.b/*/c?(d)')).toBe('^/a\\.b/.*/c\\?\\(d\\)$')
  })
})

async function query(body: Record<string, unknown>) {
  const response = await t.query(key, { site_id: SITE, date_range: [DAY, DAY], ...body })
  expect(response.statusCode, JSON.stringify(response.json)).toBe(200)
  return response.json
}

describe('event:goal', () => {
  it('as a dimension: completions per goal, and the share of all visitors', async () => {
    expect(table(await query({ metrics: ['visitors', 'events', 'conversion_rate'], dimensions: ['event:goal'] }))).toEqual({
      Signup: [2, 2, 50],
      'Visit /blog*': [2, 2, 50],
      'Got the PDF': [1, 1, 25],
    })
  })

  it('as a dimension with visit metrics of the converting visits', async () => {
    expect(table(await query({ metrics: ['visits', 'bounce_rate'], dimensions: ['event:goal'] }))).toEqual({
      Signup: [2, 0],
      // V2 (a bounce) and V3.
      'Visit /blog*': [2, 50],
      'Got the PDF': [1, 0],
    })
  })

  it('as a filter: the converting visitors and their visits', async () => {
    expect((await query({ metrics: ['visitors', 'visits', 'conversion_rate'], filters: [['is', 'event:goal', ['Signup']]] })).results[0].metrics).toEqual([2, 2, 50])
    expect((await query({ metrics: ['visitors', 'conversion_rate'], filters: [['contains', 'event:goal', ['pdf']]] })).results[0].metrics).toEqual([0, 0])
    expect((await query({ metrics: ['visitors', 'conversion_rate'], filters: [['contains', 'event:goal', ['pdf'], { case_sensitive: false }]] })).results[0].metrics).toEqual([1, 25])
  })

  it('an unknown goal matches nothing; is_not keeps the rest', async () => {
    expect((await query({ metrics: ['visitors', 'conversion_rate'], filters: [['is', 'event:goal', ['Nobody']]] })).results[0].metrics).toEqual([0, 0])
    // Events that complete no Signup: every visitor has some.
    expect((await query({ metrics: ['visitors', 'events'], filters: [['is_not', 'event:goal', ['Signup']]] })).results[0].metrics).toEqual([4, 9])
  })

  it('a goal filter narrows a goal breakdown to those goals', async () => {
    expect(table(await query({ metrics: ['visitors'], dimensions: ['event:goal'], filters: [['is', 'event:goal', ['Got the PDF', 'Purchase']]] }))).toEqual({ 'Got the PDF': [1] })
  })

  it('conversion_rate per row of another dimension: converted / all visitors of the row', async () => {
    // Signup by source: Google A of {A, C}; Newsletter B of {B}; Direct has no conversion.
    expect(table(await query({ metrics: ['visitors', 'conversion_rate'], dimensions: ['visit:source'], filters: [['is', 'event:goal', ['Signup']]] }))).toEqual({
      Google: [1, 50],
      Newsletter: [1, 100],
    })
    // The PDF by browser: C of the Chrome visitors {A, C, D}, one decimal.
    expect(table(await query({ metrics: ['conversion_rate', 'visitors'], dimensions: ['visit:browser'], filters: [['is', 'event:goal', ['Got the PDF']]] }))).toEqual({
      Chrome: [33.3, 1],
    })
  })

  it('conversion_rate with the goal and another dimension, and other filters kept in the denominator', async () => {
    // In DE (A and C): Signup A, Visit /blog* A, Got the PDF C → 50 % each.
    expect(table(await query({ metrics: ['conversion_rate'], dimensions: ['event:goal', 'visit:country'], filters: [['is', 'visit:country', ['DE', 'FR']]] }))).toEqual({
      'Signup|DE': [50],
      'Signup|FR': [100],
      'Visit /blog*|DE': [50],
      'Visit /blog*|FR': [100],
      'Got the PDF|DE': [50],
    })
    // Of the Chrome visitors (A, C, D): Signup A.
    expect((await query({ metrics: ['conversion_rate'], filters: [['is', 'visit:browser', ['Chrome']], ['is', 'event:goal', ['Signup']]] })).results[0].metrics).toEqual([33.3])
  })

  it('a goal breakdown by day', async () => {
    expect(table(await query({ metrics: ['visitors'], dimensions: ['time:day', 'event:goal'] }))).toEqual({
      [`${DAY}|Signup`]: [2],
      [`${DAY}|Visit /blog*`]: [2],
      [`${DAY}|Got the PDF`]: [1],
    })
  })

  it('a site without goals has no goal rows', async () => {
    const other = await t.addSite('nogoals.test')
    const response = await t.query(other, { site_id: 'nogoals.test', date_range: [DAY, DAY], metrics: ['visitors'], dimensions: ['event:goal'] })
    expect(response.statusCode).toBe(200)
    expect(response.json.results).toEqual([])
  })
})

describe('funnel routes', () => {
  const steps = [
    { kind: 'page', value: '/' },
    { kind: 'event', value: 'Signup' },
  ]

  it('a manager saves a funnel, a viewer lists it', async () => {
    const response = await manager.request('POST', funnelsUrl, { name: 'Signup flow', steps })
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json()).toEqual({ id: expect.any(Number), name: 'Signup flow', steps })
    const list = await viewer.request('GET', funnelsUrl)
    expect(list.statusCode).toBe(200)
    expect(list.json()).toEqual({ funnels: [response.json()] })
  })

  it('a viewer may not save or remove (403); a stranger: 404; no session: 401', async () => {
    const [funnel] = (await viewer.request('GET', funnelsUrl)).json().funnels
    expect((await viewer.request('POST', funnelsUrl, { name: 'Mine', steps })).statusCode).toBe(403)
    expect((await viewer.request('DELETE', `${funnelsUrl}/${funnel.id}`)).statusCode).toBe(403)
    expect((await stranger.request('GET', funnelsUrl)).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'GET', url: funnelsUrl })).statusCode).toBe(401)
    expect(await funnelCount()).toBe(1)
  })

  it.each<[string, Record<string, unknown>, number, string | undefined]>([
    ['one step', { name: 'F', steps: steps.slice(0, 1) }, 400, 'steps'],
    ['nine steps', { name: 'F', steps: Array.from({ length: 9 }, () => steps[0]) }, 400, 'steps'],
    ['a page step without a slash', { name: 'F', steps: [steps[0], { kind: 'page', value: 'pricing' }] }, 400, 'steps[1].value'],
    ['an empty event step', { name: 'F', steps: [{ kind: 'event', value: '' }, steps[0]] }, 400, 'steps[0].value'],
    ['an unknown step kind', { name: 'F', steps: [steps[0], { kind: 'click', value: 'x' }] }, 400, undefined],
    ['an empty name', { name: '', steps }, 400, 'name'],
    ['a name of 121 characters', { name: 'n'.repeat(121), steps }, 400, 'name'],
    ['a name taken', { name: 'Signup flow', steps }, 409, 'name'],
  ])('%s: %i, nothing written', async (_, body, status, field) => {
    const response = await manager.request('POST', funnelsUrl, body)
    expect(response.statusCode, response.body).toBe(status)
    if (field) expect(response.json().field).toBe(field)
    expect(await funnelCount()).toBe(1)
  })

  it('a manager removes a funnel', async () => {
    const [funnel] = (await viewer.request('GET', funnelsUrl)).json().funnels
    expect((await manager.request('DELETE', `${funnelsUrl}/${funnel.id}`)).statusCode).toBe(204)
    expect((await manager.request('DELETE', `${funnelsUrl}/${funnel.id}`)).statusCode).toBe(404)
    expect(await funnelCount()).toBe(0)
  })
})

describe('a visit that started the day before', () => {
  it('counts both sides of a conversion rate alike, so it never passes 100 %', async () => {
    // Its Purchase comes two minutes after midnight: an event of the day, in a visit started the
    // day before.
    await visits(t, [{ site: SITE, start: `2026-03-09T23:59:00Z`, pages: ['/late'], events: [{ name: 'Purchase', at: 120 }], source: 'Midnight' }])
    const body = { dimensions: ['visit:source'], filters: [['is', 'event:goal', ['Purchase']]] }
    // With event metrics, by the day's events: the converted visitor and all of the source's.
    expect(table(await query({ ...body, metrics: ['visitors', 'events', 'conversion_rate'] }))).toEqual({ Midnight: [1, 1, 100] })
    // Visitors alone by a source count the visits started that day: none converted, none at all.
    expect(table(await query({ ...body, metrics: ['visitors', 'conversion_rate'] }))).toEqual({})
  })
})
