// POST /api/v2/funnel on hand-built visits, and who may ask it and /api/v2/query with a login
// session instead of a Stats API key. Steps: Visit / → Visit /pricing → Signup.
//
// visit visitor  hits (seconds after start)                        source   reaches
// F1    A        / 0, /pricing 60, Signup 120                      Google   3
// F2    B        / 0, /pricing 60                                  Google   2
// F3    C        /pricing 0, / 60, Signup 120 (pricing before /)   —        1
// F4    D        /blog 0                                           —        0
// F5    E        / 0                                               —        1
// F6    E        /pricing 0 (a later visit: steps do not chain)    —        0
// F7    A        / 0 (A is counted once)                           —        1
// F8    G        the whole funnel, the day after                   Google   (outside the range)
//
// Step visitors: 4 (A, B, C, E), 2 (A, B), 1 (A).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signUp, createAdmin, originOf, SESSION_COOKIE, type Agent } from '../helpers/accounts.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { newId, visits } from '../helpers/factories.ts'

const SITE = 'funnel.test'
const DAY = '2026-06-01'
let t: TestApp
let key: string
let viewer: Agent
let stranger: Agent
let admin: Agent

const STEPS = [
  { kind: 'page', value: '/' },
  { kind: 'page', value: '/pricing' },
  { kind: 'event', value: 'Signup' },
]

beforeAll(async () => {
  t = await startTestApp()
  key = await t.addSite(SITE)
  const [A, E] = [newId(), newId()]
  const site = SITE
  await visits(t, [
    { site, visitor: A, start: `${DAY}T08:00:00Z`, pages: ['/', '/pricing'], events: [{ name: 'Signup', at: 120 }], source: 'Google' },
    { site, start: `${DAY}T09:00:00Z`, pages: ['/', '/pricing'], source: 'Google' },
    { site, start: `${DAY}T10:00:00Z`, pages: ['/pricing', '/'], events: [{ name: 'Signup', at: 120 }] },
    { site, start: `${DAY}T11:00:00Z`, pages: ['/blog'] },
    { site, visitor: E, start: `${DAY}T12:00:00Z`, pages: ['/'] },
    { site, visitor: E, start: `${DAY}T14:00:00Z`, pages: ['/pricing'] },
    { site, visitor: A, start: `${DAY}T16:00:00Z`, pages: ['/'] },
    { site, start: '2026-06-02T08:00:00Z', pages: ['/', '/pricing'], events: [{ name: 'Signup', at: 120 }], source: 'Google' },
  ])
  ;[viewer, stranger, admin] = [await signUp(t), await signUp(t), await createAdmin(t)]
  await t.app.sites.staff.add((await t.app.sites.get(SITE)).id, viewer.user.id, 'viewer')
})
afterAll(() => t?.close())

const funnelBy = (auth: { key?: string; agent?: Agent }, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
  const payload = { site_id: SITE, date_range: [DAY, DAY], steps: STEPS, ...body }
  if (auth.agent) return auth.agent.request('POST', '/api/v2/funnel', payload, headers)
  return t.app.inject({ method: 'POST', url: '/api/v2/funnel', headers: { ...(auth.key ? { authorization: `Bearer ${auth.key}` } : {}), ...headers }, payload })
}
async function funnel(body: Record<string, unknown> = {}) {
  const response = await funnelBy({ key }, body)
  expect(response.statusCode, response.body).toBe(200)
  return response.json().steps as Array<{ label: string; visitors: number; conversion_rate: number; step_conversion_rate: number; dropoff: number }>
}
const visitorsOf = async (body: Record<string, unknown> = {}) => (await funnel(body)).map((step) => step.visitors)

describe('POST /api/v2/funnel', () => {
  it('counts visitors whose visit went through the steps in order', async () => {
    expect(await funnel()).toEqual([
      { label: 'Visit /', visitors: 4, conversion_rate: 100, step_conversion_rate: 100, dropoff: 0 },
      { label: 'Visit /pricing', visitors: 2, conversion_rate: 50, step_conversion_rate: 50, dropoff: 2 },
      { label: 'Signup', visitors: 1, conversion_rate: 25, step_conversion_rate: 50, dropoff: 1 },
    ])
  })

  it('page steps take `*` wildcards', async () => {
    expect(await visitorsOf({ steps: [STEPS[0], { kind: 'page', value: '/pri*' }, STEPS[2]] })).toEqual([4, 2, 1])
    expect(await visitorsOf({ steps: [{ kind: 'page', value: '/*' }, { kind: 'event', value: 'Signup' }] })).toEqual([5, 2])
  })

  it('out-of-order steps do not count; the first step alone does', async () => {
    // C saw /pricing before /: only Signup → /pricing in order would need a later /pricing.
    expect(await visitorsOf({ steps: [{ kind: 'page', value: '/pricing' }, { kind: 'page', value: '/' }] })).toEqual([4, 1])
    expect(await visitorsOf({ steps: [{ kind: 'event', value: 'Signup' }, { kind: 'page', value: '/' }] })).toEqual([2, 0])
  })

  it('filters choose the visits: visit attributes, events the visit had, entry pages', async () => {
    expect(await visitorsOf({ filters: [['is', 'visit:source', ['Google']]] })).toEqual([2, 2, 1])
    // Visits that had a Signup: F1 (A) and F3 (C).
    expect(await visitorsOf({ filters: [['is', 'event:name', ['Signup']]] })).toEqual([2, 1, 1])
    expect(await visitorsOf({ filters: [['is', 'visit:entry_page', ['/pricing']]] })).toEqual([1, 0, 0])
  })

  it('the date range bounds the events', async () => {
    expect(await visitorsOf({ date_range: ['2026-06-02', '2026-06-02'] })).toEqual([1, 1, 1])
    expect(await funnel({ date_range: ['2026-06-03', '2026-06-03'] })).toEqual([
      { label: 'Visit /', visitors: 0, conversion_rate: 0, step_conversion_rate: 0, dropoff: 0 },
      { label: 'Visit /pricing', visitors: 0, conversion_rate: 0, step_conversion_rate: 0, dropoff: 0 },
      { label: 'Signup', visitors: 0, conversion_rate: 0, step_conversion_rate: 0, dropoff: 0 },
    ])
  })

  it.each<[string, Record<string, unknown>, string | undefined]>([
    ['one step', { steps: STEPS.slice(0, 1) }, 'steps'],
    ['nine steps', { steps: Array.from({ length: 9 }, () => STEPS[0]) }, 'steps'],
    ['a page step without a slash', { steps: [STEPS[0], { kind: 'page', value: 'x' }] }, 'steps[1].value'],
    ['an event step of 121 characters', { steps: [STEPS[0], { kind: 'event', value: 'e'.repeat(121) }] }, 'steps[1].value'],
    ['an unknown filter dimension', { filters: [['is', 'visit:planet', ['x']]] }, 'filters[0]'],
    ['an unknown date_range', { date_range: 'fortnight' }, 'date_range'],
    ['an unknown field', { metrics: ['visitors'] }, undefined],
    ['no steps', { steps: undefined }, undefined],
  ])('%s: 400', async (_, body, field) => {
    const response = await funnelBy({ key }, body)
    expect(response.statusCode, response.body).toBe(400)
    expect(response.json()).toMatchObject({ error: 'invalid_request', message: expect.any(String) })
    if (field) expect(response.json().field).toBe(field)
  })
})

describe('a login session instead of a key', () => {
  const QUERY = { site_id: SITE, date_range: [DAY, DAY], metrics: ['visitors'] }
  const queryBy = (agent: Agent, headers: Record<string, string> = {}, body: Record<string, unknown> = QUERY) => agent.request('POST', '/api/v2/query', body, headers)

  it('a viewer and an administrator may query the site', async () => {
    for (const agent of [viewer, admin]) {
      const response = await queryBy(agent)
      expect(response.statusCode, response.body).toBe(200)
      expect(response.json().results).toEqual([{ metrics: [5], dimensions: [] }])
      expect((await funnelBy({ agent }, {})).json().steps.map((step: { visitors: number }) => step.visitors)).toEqual([4, 2, 1])
    }
  })

  it('without the CSRF token, or from another origin: 403, with no stats', async () => {
    for (const headers of [{ 'x-csrf-token': '' }, { 'x-csrf-token': 'forged' }, { origin: 'https://evil.example' }] as Array<Record<string, string>>) {
      for (const response of [await queryBy(viewer, headers), await funnelBy({ agent: viewer }, {}, headers)]) {
        expect(response.statusCode).toBe(403)
        expect(response.json()).toMatchObject({ error: 'csrf' })
      }
    }
  })

  it('a stranger: 403, as for a site that does not exist', async () => {
    const response = await queryBy(stranger)
    expect(response.statusCode).toBe(403)
    expect(response.body.replaceAll(SITE, 'nowhere.test')).toBe((await queryBy(stranger, {}, { ...QUERY, site_id: 'nowhere.test' })).body)
    expect((await funnelBy({ agent: stranger }, {})).statusCode).toBe(403)
  })

  it('no session and no key: 401; an unknown session: 401', async () => {
    for (const headers of [{}, { cookie: `${SESSION_COOKIE}=nope`, origin: originOf(t), 'x-csrf-token': 'x' }] as Array<Record<string, string>>) {
      const query = await t.app.inject({ method: 'POST', url: '/api/v2/query', headers, payload: QUERY })
      expect(query.statusCode).toBe(401)
      expect(query.json().error).toBe('unauthorized')
      expect((await funnelBy({}, {}, headers)).statusCode).toBe(401)
    }
  })

  it('an Authorization header means a key, whatever the cookie says', async () => {
    const response = await queryBy(stranger, { authorization: `Bearer ${key}` })
    expect(response.statusCode).toBe(200)
    expect((await queryBy(viewer, { authorization: 'Bearer cnd_unknown' })).statusCode).toBe(401)
  })

  it('a session query with bad input: 400 naming the field', async () => {
    const response = await queryBy(viewer, {}, { ...QUERY, dimensions: ['visit:planet'] })
    expect(response.statusCode).toBe(400)
    expect(response.json().field).toBe('dimensions[0]')
  })
})
