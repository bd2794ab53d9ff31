// The consent report: decisions made through the banner's API counted per day and method, per
// category and per policy version, and visits split by tier, for a site in a half-hour time zone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROME, startTestApp, type TestApp } from '../helpers/app.ts'
import { createAdmin, signUp, type Agent } from '../helpers/accounts.ts'
import { visits } from '../helpers/factories.ts'

const SITE = 'report.test'
const ZONE = 'Asia/Kolkata'
let t: TestApp
let viewer: Agent
let stranger: Agent
let manager: Agent

const decide = async (body: Record<string, unknown>) => {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/consent',
    headers: { 'content-type': 'text/plain', 'user-agent': CHROME, 'x-forwarded-for': '81.2.69.160', origin: `http://${SITE}` },
    payload: JSON.stringify({ domain: SITE, configVersion: 1, language: 'en', path: '/', gpc: false, clientTime: Date.now(), bannerVersion: '1', granted: [], ...body }),
  })
  expect(response.statusCode, response.body).toBe(201)
  return response.json() as { consentId: string; receipt: string }
}

beforeAll(async () => {
  t = await startTestApp()
  const admin = await createAdmin(t)
  manager = await signUp(t)
  viewer = await signUp(t)
  stranger = await signUp(t)
  expect((await admin.request('POST', '/api/sites', { domain: SITE, timezone: ZONE })).statusCode).toBe(201)
  const siteId = (await t.app.sites.get(SITE)).id
  await t.app.sites.staff.add(siteId, viewer.user.id, 'viewer')
  await t.app.sites.staff.add(siteId, manager.user.id, 'manager')

  await decide({ method: 'accept_all', granted: ['analytics', 'marketing'] })
  await decide({ method: 'accept_all', granted: ['analytics', 'marketing'] })
  await decide({ method: 'reject_all' })
  const custom = await decide({ method: 'custom', granted: ['analytics'] })
  await decide({ method: 'gpc', gpc: true })
  await decide({ method: 'withdraw', consentId: custom.consentId, receipt: custom.receipt })
  // A new policy version: the next decision is made under policy 2.
  const changed = await manager.request('POST', `/api/sites/${SITE}/consent/versions`, { newPolicyVersion: true })
  expect(changed.statusCode, changed.body).toBe(201)
  await decide({ method: 'accept_all', granted: ['analytics', 'marketing'], configVersion: changed.json().version })

  const start = Date.now() - 60_000
  await visits(t, [
    ...[1, 2].map(() => ({ site: SITE, start, pages: ['/'], tier: 'consented' as const })),
    ...[1, 2, 3].map(() => ({ site: SITE, start, pages: ['/'], tier: 'anonymous' as const })),
  ])
})
afterAll(() => t?.close())

describe('GET /api/sites/:domain/consent/report', () => {
  it('counts decisions per day and method in the site time zone, per category and per policy version', async () => {
    const response = await viewer.request('GET', `/api/sites/${SITE}/consent/report?date_range=7d`)
    expect(response.statusCode, response.body).toBe(200)
    const report = response.json()
    expect(report.timezone).toBe(ZONE)
    expect(report.days).toHaveLength(7)
    // Every decision was written now: all on the site's today, the last day of the range.
    const [recorded] = await t.rows<{ day: string }>(
      "SELECT DISTINCT toString(toDate(time, 'Asia/Kolkata')) AS day FROM consent_records",
    )
    expect(report.to).toBe(recorded!.day)
    expect(report.days.at(-1)).toEqual({ day: recorded!.day, accept_all: 3, reject_all: 1, custom: 1, withdraw: 1, gpc: 1, expired_reprompt: 0, total: 7 })
    expect(report.days.slice(0, -1).every((day: { total: number }) => day.total === 0)).toBe(true)

    expect(report.categories).toEqual([
      { category: 'analytics', granted: 4, decisions: 7, rate: 57.1 },
      { category: 'marketing', granted: 3, decisions: 7, rate: 42.9 },
    ])
    expect(report.versions).toEqual([
      { version: 1, decisions: 6, accept_all: 2, reject_all: 1, custom: 1 },
      { version: 2, decisions: 1, accept_all: 1, reject_all: 0, custom: 0 },
    ])
    expect(report.visits).toEqual({ full: 2, anonymous: 3, full_share: 40 })
  })

  it('takes from and to as days, and counts nothing outside them', async () => {
    const response = await viewer.request('GET', `/api/sites/${SITE}/consent/report?from=2026-01-01&to=2026-01-03`)
    expect(response.statusCode).toBe(200)
    const report = response.json()
    expect(report.days.map((day: { day: string }) => day.day)).toEqual(['2026-01-01', '2026-01-02', '2026-01-03'])
    expect(report.days.every((day: { total: number }) => day.total === 0)).toBe(true)
    expect(report).toMatchObject({ categories: [], versions: [], visits: { full: 0, anonymous: 0, full_share: 0 } })
  })

  it('answers a person who is not staff as for a site that does not exist, and no one signed out', async () => {
    expect((await stranger.request('GET', `/api/sites/${SITE}/consent/report`)).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'GET', url: `/api/sites/${SITE}/consent/report` })).statusCode).toBe(401)
  })

  it.each([
    ['date_range=fortnight', 'date_range'],
    ['from=2026-01-01', 'to'],
    ['from=2026-01-05&to=2026-01-01', 'date_range'],
    ['from=2026-02-30&to=2026-03-01', 'from'],
    ['date_range=7d&from=2026-01-01&to=2026-01-02', 'date_range'],
    ['date=yesterday', 'date'],
    ['colour=blue', undefined],
  ])('refuses %s with 400', async (query, field) => {
    const response = await viewer.request('GET', `/api/sites/${SITE}/consent/report?${query}`)
    expect(response.statusCode, response.body).toBe(400)
    const body = response.json()
    expect(body).toMatchObject({ error: expect.any(String), message: expect.any(String) })
    if (field) expect(body.field).toBe(field)
  })
})
