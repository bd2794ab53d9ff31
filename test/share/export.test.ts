// POST /api/share/:domain/export: a public dashboard's view as a zip of CSV files, only the cards a
// public dashboard shows (anonymous-tier dimensions), without breakdown rows of fewer than 5
// visitors, behind the dashboard's switch and password like its queries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, signUp, type Agent } from '../helpers/accounts.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { readCsvZip } from '../helpers/csv.ts'
import { visits } from '../helpers/factories.ts'

const SITE = 'public-export.test'
const DAY = '2026-05-04'
const FORMULA = '=1+1, "x"'
let t: TestApp
let manager: Agent

beforeAll(async () => {
  t = await startTestApp()
  const admin = await createAdmin(t)
  manager = await signUp(t)
  expect((await admin.request('POST', '/api/sites', { domain: SITE })).statusCode).toBe(201)
  await t.app.sites.staff.add((await t.app.sites.get(SITE)).id, manager.user.id, 'manager')
  // Six anonymous visitors on /big from Germany in Chrome, each sending two events (one named like
  // a spreadsheet formula); two consented visitors on /small from Paris in Firefox, with an ISP.
  await visits(t, [
    ...Array.from({ length: 6 }, (_, i) => ({
      site: SITE, start: `${DAY}T10:0${i}:00Z`, pages: ['/big'], country: 'DE', events: [{ name: 'Signup' }, { name: FORMULA }],
    })),
    ...Array.from({ length: 2 }, (_, i) => ({
      site: SITE, start: `${DAY}T11:0${i}:00Z`, pages: ['/small'], country: 'FR', city: 'Paris', isp: 'Orange', browser: 'Firefox',
      tier: 'consented' as const, events: [{ name: 'Rare' }],
    })),
  ])
})
afterAll(() => t?.close())

// Each request from its own address, so that only the rate-limit test meets the limit.
let address = 1
const exportAs = (body: Record<string, unknown> = {}, { cookie, from }: { cookie?: string; from?: string } = {}) =>
  t.app.inject({
    method: 'POST',
    url: `/api/share/${SITE}/export`,
    remoteAddress: from ?? `192.0.2.${address++}`,
    headers: cookie ? { cookie } : {},
    payload: { site_id: SITE, date_range: [DAY, DAY], ...body },
  })
const patch = (changes: Record<string, unknown>) => manager.request('PATCH', `/api/sites/${SITE}`, changes)

const unzip = readCsvZip

describe('POST /api/share/:domain/export', () => {
  it('does not exist while the public dashboard is off: the same 404 as no site', async () => {
    const off = await exportAs()
    expect(off.statusCode).toBe(404)
    const missing = await t.app.inject({ method: 'POST', url: '/api/share/nowhere.test/export', payload: { site_id: 'nowhere.test', date_range: '7d' } })
    expect(off.body.replaceAll(SITE, 'nowhere.test')).toBe(missing.body)
    expect((await patch({ publicDashboard: true })).statusCode).toBe(200)
  })

  it('zips the public cards only, without rows of fewer than 5 visitors, formulas kept from running', async () => {
    const response = await exportAs()
    expect(response.statusCode, response.body).toBe(200)
    expect(response.headers['content-type']).toBe('application/zip')
    expect(response.headers['content-disposition']).toBe(`attachment; filename="${SITE}-${DAY}-${DAY}.zip"`)
    const { text, rows } = unzip(response.rawPayload)
    expect(Object.keys(text)).toEqual([
      'visitors.csv', 'sources.csv', 'utm_mediums.csv', 'utm_sources.csv', 'utm_campaigns.csv', 'pages.csv', 'entry_pages.csv',
      'exit_pages.csv', 'countries.csv', 'regions.csv', 'browsers.csv', 'operating_systems.csv', 'devices.csv', 'timezones.csv',
      'languages.csv', 'goals.csv', 'custom_events.csv',
    ])
    // By hand: 8 visits of one pageview each, none a bounce (each sent an event), none longer than 0 s.
    expect(rows['visitors.csv']).toEqual([
      ['date', 'visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'],
      [DAY, '8', '8', '8', '1', '0', '0'],
    ])
    expect(rows['pages.csv']).toEqual([['page', 'visitors', 'pageviews', 'bounce_rate', 'visit_duration'], ['/big', '6', '6', '0', '0']])
    expect(rows['countries.csv']!.slice(1).map((row) => row.slice(0, 2))).toEqual([['DE', '6']])
    expect(rows['browsers.csv']!.slice(1).map((row) => row.slice(0, 2))).toEqual([['Chrome', '6']])
    expect(rows['custom_events.csv']![0]).toEqual(['event', 'visitors', 'events'])
    expect(rows['custom_events.csv']!.slice(1).sort()).toEqual([["'" + FORMULA, '6', '6'], ['Signup', '6', '6']])
    expect(text['custom_events.csv']).toContain(`"'=1+1, ""x"""`)
    expect(Object.values(text).join('')).not.toMatch(/Paris|Orange|Firefox|Rare|small/)
  })

  it('applies the view filters, on public dimensions only', async () => {
    const { rows } = unzip((await exportAs({ filters: [['is', 'visit:country', ['FR']]] })).rawPayload)
    // The graph's days are not a group of people; the two French visitors are too few for any breakdown.
    expect(rows['visitors.csv']![1]!.slice(0, 2)).toEqual([DAY, '2'])
    expect(rows['pages.csv']).toEqual([['page', 'visitors', 'pageviews', 'bounce_rate', 'visit_duration']])
    const city = await exportAs({ filters: [['is', 'visit:city', ['Paris']]] })
    expect(city.statusCode).toBe(400)
    expect(city.json()).toMatchObject({ error: 'invalid_request', field: 'filters[0]' })
  })

  it.each([
    [{ site_id: 'other.test' }, 'site_id'],
    [{ date_range: 'fortnight' }, 'date_range'],
    [{ metrics: ['visitors'] }, undefined],
    [{ filters: [['is', 'visit:country']] }, undefined],
  ])('refuses %j with 400', async (body, field) => {
    const response = await exportAs(body)
    expect(response.statusCode, response.body).toBe(400)
    expect(response.json()).toMatchObject({ error: expect.any(String), message: expect.any(String), ...(field ? { field } : {}) })
  })

  it('asks for the password first, and opens with the unlock cookie until the password changes', async () => {
    expect((await patch({ publicPassword: 'correct horse battery' })).statusCode).toBe(200)
    const locked = await exportAs()
    expect(locked.statusCode).toBe(401)
    expect(locked.json().error).toBe('password_required')
    const unlock = await t.app.inject({ method: 'POST', url: `/api/share/${SITE}/unlock`, payload: { password: 'correct horse battery' } })
    expect(unlock.statusCode).toBe(204)
    const cookie = String(unlock.headers['set-cookie']).split(';')[0]!
    expect((await exportAs({}, { cookie })).statusCode).toBe(200)
    expect((await patch({ publicPassword: 'another good password' })).statusCode).toBe(200)
    expect((await exportAs({}, { cookie })).statusCode).toBe(401)
  })

  it('takes a few exports a minute from one address', async () => {
    const statuses: number[] = []
    // Locked (401) tries count too, and cost nothing to make.
    for (let i = 0; i < 8; i++) statuses.push((await exportAs({}, { from: '198.51.100.9' })).statusCode)
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401])
    expect(statuses.slice(6)).toEqual([429, 429])
  })
})
