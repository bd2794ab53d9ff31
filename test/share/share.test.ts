// Public dashboards: off by default (404, the same as no site), open to anyone once a manager turns
// them on, behind a password when one is set, and never saying anything about a person: only
// anonymous-tier dimensions, and no breakdown row of fewer than 5 visitors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, signUp, type Agent } from '../helpers/accounts.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { visits } from '../helpers/factories.ts'

const SITE = 'public.test'
const DAY = '2026-05-04'
let t: TestApp
let manager: Agent
let viewer: Agent

beforeAll(async () => {
  t = await startTestApp()
  const admin = await createAdmin(t)
  manager = await signUp(t)
  viewer = await signUp(t)
  expect((await admin.request('POST', '/api/sites', { domain: SITE })).statusCode).toBe(201)
  const siteId = (await t.app.sites.get(SITE)).id
  await t.app.sites.staff.add(siteId, manager.user.id, 'manager')
  await t.app.sites.staff.add(siteId, viewer.user.id, 'viewer')
  // Six visitors on /big, two on /small (from Berlin, consented: the city is known).
  await visits(t, [
    ...Array.from({ length: 6 }, (_, i) => ({ site: SITE, start: `${DAY}T10:0${i}:00Z`, pages: ['/big'], country: 'DE' })),
    ...Array.from({ length: 2 }, (_, i) => ({ site: SITE, start: `${DAY}T11:0${i}:00Z`, pages: ['/small'], country: 'FR', city: 'Paris', tier: 'consented' as const })),
  ])
})
afterAll(() => t?.close())

const share = (method: 'GET' | 'POST', path: string, payload?: unknown, cookie?: string) =>
  t.app.inject({ method, url: `/api/share/${SITE}${path}`, ...(payload === undefined ? {} : { payload: payload as object }), headers: cookie ? { cookie } : {} })
const query = (body: Record<string, unknown>, cookie?: string) => share('POST', '/query', { site_id: SITE, date_range: [DAY, DAY], metrics: ['visitors'], ...body }, cookie)
const patch = (agent: Agent, changes: Record<string, unknown>) => agent.request('PATCH', `/api/sites/${SITE}`, changes)

describe('a public dashboard', () => {
  it('does not exist until a manager turns it on: the same 404 as a site that does not exist', async () => {
    const requests = [
      ['GET', '', undefined],
      ['POST', '/query', { site_id: SITE, date_range: '7d', metrics: ['visitors'] }],
      ['POST', '/unlock', { password: 'anything' }],
    ] as const
    for (const [method, path, payload] of requests) {
      const response = await share(method, path, payload)
      expect(response.statusCode).toBe(404)
      const missing = await t.app.inject({ method, url: `/api/share/nowhere.test${path}`, ...(payload ? { payload } : {}) })
      expect(response.body.replaceAll(SITE, 'nowhere.test')).toBe(missing.body)
    }
    expect((await patch(viewer, { publicDashboard: true })).statusCode).toBe(403)
    const on = await patch(manager, { publicDashboard: true })
    expect(on.statusCode).toBe(200)
    expect(on.json()).toMatchObject({ publicDashboard: true, publicPasswordSet: false })
    expect((await share('GET', '')).json()).toEqual({ domain: SITE, timezone: 'UTC', password_required: false, unlocked: true })
  })

  it('shows totals and the graph, and leaves out breakdown rows of fewer than 5 visitors', async () => {
    expect((await query({})).json().results).toEqual([{ metrics: [8], dimensions: [] }])
    const pages = await query({ dimensions: ['event:page'], include: { total_rows: true } })
    expect(pages.statusCode).toBe(200)
    expect(pages.json().results).toEqual([{ metrics: [6], dimensions: ['/big'] }])
    expect(pages.json().meta.total_rows).toBe(1)
    const countries = await query({ dimensions: ['visit:country'], metrics: ['pageviews'] })
    expect(countries.json().results).toEqual([{ metrics: [6], dimensions: ['DE'] }])
    // Time buckets are the graph, not a group of people: every hour is shown.
    const hours = await query({ dimensions: ['time:hour'] })
    expect(hours.json().results.map((row: { metrics: number[]; dimensions: string[] }) => [row.dimensions[0], row.metrics[0]])).toEqual([
      [`${DAY} 10:00:00`, 6],
      [`${DAY} 11:00:00`, 2],
    ])
  })

  it.each([
    ['visit:city'], ['visit:isp'], ['visit:screen'], ['event:font'], ['visit:referrer'], ['event:props:plan'], ['visit:browser_version'], ['visit:os_version'],
  ])('refuses %s as a dimension and as a filter', async (dimension) => {
    const grouped = await query({ dimensions: [dimension] })
    expect(grouped.statusCode).toBe(400)
    expect(grouped.json()).toMatchObject({ error: 'invalid_request', field: 'dimensions[0]' })
    const filtered = await query({ filters: [['is', dimension, ['Paris']]] })
    expect(filtered.statusCode).toBe(400)
    expect(filtered.json().field).toBe('filters[0]')
  })

  it('refuses another site in site_id and malformed queries', async () => {
    expect((await query({ site_id: 'other.test' })).json()).toMatchObject({ error: 'invalid_request', field: 'site_id' })
    expect((await query({ metrics: [] })).statusCode).toBe(400)
    expect((await query({ surprise: true })).statusCode).toBe(400)
  })
})

describe('a password-protected public dashboard', () => {
  const cookieOf = (response: { headers: Record<string, unknown> }) => {
    const header = String(response.headers['set-cookie'])
    return { header, pair: header.split(';')[0]! }
  }

  it('asks for the password before any number', async () => {
    expect((await patch(manager, { publicPassword: 'short' })).json()).toMatchObject({ error: 'invalid_request', field: 'publicPassword' })
    const set = await patch(manager, { publicPassword: 'correct horse battery' })
    expect(set.statusCode).toBe(200)
    expect(set.json().publicPasswordSet).toBe(true)
    expect(set.body).not.toContain('argon2')
    expect((await share('GET', '')).json()).toMatchObject({ password_required: true, unlocked: false })
    const locked = await query({})
    expect(locked.statusCode).toBe(401)
    expect(locked.json().error).toBe('password_required')
    const wrong = await share('POST', '/unlock', { password: 'incorrect horse' })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.headers['set-cookie']).toBeUndefined()
    expect((await share('POST', '/unlock', {})).statusCode).toBe(400)
  })

  it('opens with the password, in an HttpOnly SameSite=Strict cookie for its API only, until the password changes', async () => {
    const unlocked = await share('POST', '/unlock', { password: 'correct horse battery' })
    expect(unlocked.statusCode).toBe(204)
    const { header, pair } = cookieOf(unlocked)
    expect(header).toContain('HttpOnly')
    expect(header).toContain('SameSite=Strict')
    expect(header).toContain(`Path=/api/share/${SITE}`)
    expect((await query({}, pair)).json().results).toEqual([{ metrics: [8], dimensions: [] }])
    expect((await share('GET', '', undefined, pair)).json()).toMatchObject({ password_required: true, unlocked: true })
    expect((await query({}, 'candor_share=forged')).statusCode).toBe(401)

    // A new password ends the old unlock; removing it opens the dashboard again.
    expect((await patch(manager, { publicPassword: 'another good password' })).statusCode).toBe(200)
    expect((await query({}, pair)).statusCode).toBe(401)
    expect((await patch(manager, { publicPassword: null })).json().publicPasswordSet).toBe(false)
    expect((await query({})).statusCode).toBe(200)
  })

  it('stops guessing after ten tries a minute', async () => {
    await patch(manager, { publicPassword: 'correct horse battery' })
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) statuses.push((await share('POST', '/unlock', { password: `guess ${i}` })).statusCode)
    expect(statuses).toContain(429)
  })
})
