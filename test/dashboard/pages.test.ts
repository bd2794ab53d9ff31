/**
 * The dashboard's account, goals, funnels and consent pages and the world map in real Chromium,
 * against the real app on a real port (candor.test:PORT, the installation's PUBLIC_URL, so the
 * pages' requests carry the Origin and CSRF token the server wants): the account page shows the
 * profile and downloads the export; an administrator creates a goal and a funnel through the
 * forms and reads the funnel's numbers of a fixture with known counts; the consent report counts
 * decisions made through POST /api/consent and the lookup finds a consent id; the world map draws
 * countries titled with their visitors and selects one from the keyboard.
 */
import { readFile } from 'node:fs/promises'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { projectRoot } from '../../server/paths.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { createAdmin, mailCount, nextMail, SESSION_COOKIE, type Agent } from '../helpers/accounts.ts'
import { launch, newContext, serveFixtures, type FixtureServer } from '../helpers/browser.ts'
import { visits } from '../helpers/factories.ts'

const SITE = 'shop.test'
let t: TestApp
let admin: Agent
let origin: string
let browser: Browser
let context: BrowserContext | undefined

/** A port free right now, so that PUBLIC_URL can name it before the server listens on it. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

beforeAll(async () => {
  const port = await freePort()
  origin = `http://candor.test:${port}`
  t = await startTestApp({ env: { PUBLIC_URL: origin, TRUST_PROXY: 'false' } })
  await t.app.listen({ port, host: '127.0.0.1' })
  admin = await createAdmin(t)
  expect((await admin.request('POST', '/api/sites', { domain: SITE })).statusCode).toBe(201)
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
  await t?.close()
})
afterEach(async () => {
  await context?.close()
  context = undefined
})

/** A page signed in as the administrator, with the English UI. */
async function signedInPage(): Promise<Page> {
  context = await newContext(browser, { acceptDownloads: true })
  await context.addCookies([{ name: SESSION_COOKIE, value: admin.cookie, url: origin, httpOnly: true, sameSite: 'Lax' }])
  const page = await context.newPage()
  page.on('pageerror', (error) => {
    throw error
  })
  return page
}

describe('the account page', () => {
  it('shows the profile and downloads my data as JSON', async () => {
    const page = await signedInPage()
    await page.goto(`${origin}/account`)
    await expect.poll(() => page.locator('#profile-email').inputValue(), { timeout: 15_000 }).toBe(admin.person.email)
    expect(await page.locator('#profile-firstName').inputValue()).toBe(admin.person.firstName)
    expect(await page.locator('#profile-login').inputValue()).toBe(admin.person.login)
    // the sessions table marks this device
    await expect.poll(() => page.locator('.badge').count()).toBe(1)

    const download = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Download my data' }).click()
    const file = await download
    expect(file.suggestedFilename()).toBe('candor-my-data.json')
    const exported = JSON.parse(await readFile((await file.path())!, 'utf8'))
    expect(JSON.stringify(exported)).toContain(admin.person.email)

    // a profile change goes through PATCH with the CSRF token
    await page.locator('#profile-lastName').fill('Hopper-Renamed')
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved.' }).count()).toBe(1)
    expect((await admin.request('GET', '/api/account')).json().user.lastName).toBe('Hopper-Renamed')
  })
})

describe('the administration page', () => {
  it('saves a site’s settings and creates a Stats API key shown once', async () => {
    const page = await signedInPage()
    await page.goto(`${origin}/admin/${SITE}`)
    await expect.poll(() => page.locator('#site-retention').count(), { timeout: 15_000 }).toBe(1)
    await page.locator('#site-aliases').fill('www.shop.test')
    await page.locator('#site-timezone').selectOption('Europe/Berlin')
    await page.locator('#site-retention').fill('400')
    await page.getByRole('button', { name: 'Save', exact: true }).first().click()
    await expect.poll(async () => (await admin.request('GET', `/api/sites/${SITE}`)).json().site).toMatchObject({ aliases: ['www.shop.test'], timezone: 'Europe/Berlin', retentionDays: 400 })

    // a bad value comes back with the server's message next to the field
    await page.locator('#site-retention').fill('0')
    await page.locator('#site-retention').evaluate((input) => input.removeAttribute('min'))
    await page.getByRole('button', { name: 'Save', exact: true }).first().click()
    await expect.poll(() => page.locator('#site-retention-error').count()).toBe(1)

    await page.locator('#key-name').fill('CI export')
    await page.locator('#key-site').selectOption(SITE)
    await page.getByRole('button', { name: 'Create key' }).click()
    const key = await page.locator('[data-new-key]').textContent({ timeout: 15_000 })
    const keys = (await admin.request('GET', '/api/keys')).json().keys as Array<{ name: string; prefix: string; site: string }>
    expect(keys).toMatchObject([{ name: 'CI export', site: SITE }])
    expect(key!.startsWith(keys[0]!.prefix)).toBe(true)
    // the key works on the Stats API
    expect((await t.query(key!, { site_id: SITE, metrics: ['visitors'], date_range: 'day' })).statusCode).toBe(200)
    // and is listed, by name and prefix, with a button to revoke it
    const keyRow = page.locator('tr', { has: page.locator('th', { hasText: 'CI export' }) })
    await expect.poll(() => keyRow.locator('code').textContent()).toBe(`${keys[0]!.prefix}…`)
    expect(await keyRow.getByRole('button', { name: 'Revoke' }).count()).toBe(1)

    // an invitation goes out by mail and is listed as pending
    const sent = mailCount(t)
    await page.locator('#invite-email').fill('new.viewer@example.test')
    await page.locator('#invite-role').selectOption('viewer')
    await page.getByRole('button', { name: 'Invite', exact: true }).click()
    const mail = await nextMail(t, (m) => m.to.includes('new.viewer@example.test'), sent)
    expect(mail.subject).toContain(SITE)
    const invitation = page.locator('tr', { has: page.locator('th', { hasText: 'new.viewer@example.test' }) })
    await expect.poll(() => invitation.locator('td').allTextContents()).toEqual(['Viewer', expect.any(String), 'Pending'])
  })
})

describe('the consent configuration form', () => {
  it('saves a new version with a new policy version, and keeps a bad value next to its field', async () => {
    const before = (await admin.request('GET', `/api/sites/${SITE}/consent`)).json() as { current: { version: number; policyVersion: number } }
    const page = await signedInPage()
    await page.goto(`${origin}/admin/${SITE}`)
    await expect.poll(() => page.locator('#consent-expiry').count(), { timeout: 15_000 }).toBe(1)

    // a value the server refuses: its message beside the field, nothing saved
    await page.locator('#consent-expiry').evaluate((input) => input.removeAttribute('max'))
    await page.locator('#consent-expiry').fill('1000')
    await page.getByRole('button', { name: 'Save as a new version' }).click()
    await expect.poll(() => page.locator('#consent-expiry-error').count()).toBe(1)
    expect((await admin.request('GET', `/api/sites/${SITE}/consent`)).json().current.version).toBe(before.current.version)

    await page.locator('#consent-expiry').fill('200')
    await page.getByLabel('Publish a new policy version: every visitor is asked again').check()
    await page.getByRole('button', { name: 'Save as a new version' }).click()
    await expect
      .poll(async () => (await admin.request('GET', `/api/sites/${SITE}/consent`)).json().current)
      .toMatchObject({ version: before.current.version + 1, policyVersion: before.current.policyVersion + 1, expiryDays: 200 })
    // the form reloads with the new version, listed under Versions
    await page.locator('summary', { hasText: 'Versions' }).click()
    await expect.poll(() => page.locator('details tbody tr').count()).toBe(before.current.version + 1)
  })
})

describe('goals and funnels', () => {
  beforeAll(async () => {
    // Four visits an hour ago: / → /pricing → Signup; / → /pricing; /; and /pricing alone.
    const start = Date.now() - 3_600_000
    await visits(t, [
      { site: SITE, start, pages: ['/', '/pricing'], events: [{ name: 'Signup', at: 150 }] },
      { site: SITE, start: start + 1000, pages: ['/', '/pricing'] },
      { site: SITE, start: start + 2000, pages: ['/'] },
      { site: SITE, start: start + 3000, pages: ['/pricing'] },
    ])
  })

  it('creates a goal through the form and shows its conversions', async () => {
    const page = await signedInPage()
    await page.goto(`${origin}/sites/${SITE}/goals?period=7d`)
    await expect.poll(() => page.locator('.state-empty').count(), { timeout: 15_000 }).toBe(1)
    await page.locator('#goal-value').fill('Signup')
    await page.getByRole('button', { name: 'Add goal' }).click()
    const row = page.locator('tr[data-goal="Signup"]')
    await expect.poll(() => row.count()).toBe(1)
    // one of the four visitors signed up: 25 %
    await expect.poll(() => row.locator('td.num').allTextContents()).toEqual(['1', '1', '25%'])
    expect((await admin.request('GET', `/api/sites/${SITE}/goals`)).json().goals).toMatchObject([{ kind: 'event', event_name: 'Signup', display_name: 'Signup' }])

    // a bad goal answers with the field's error next to it
    await page.getByLabel('Page visit').check()
    await page.locator('#goal-value').fill('no-slash')
    await page.getByRole('button', { name: 'Add goal' }).click()
    await expect.poll(() => page.locator('#goal-value-error').count()).toBe(1)
  })

  it('creates a funnel through the form and shows the fixture’s numbers per step', async () => {
    const page = await signedInPage()
    await page.goto(`${origin}/sites/${SITE}/funnels?period=7d`)
    await expect.poll(() => page.locator('#funnel-name').count(), { timeout: 15_000 }).toBe(1)
    await page.locator('#funnel-name').fill('Signup path')
    await page.locator('#step-0-value').fill('/')
    await page.locator('#step-1-value').fill('/pricing')
    await page.getByRole('button', { name: 'Add a step' }).click()
    await page.locator('#step-2-kind').selectOption('event')
    await page.locator('#step-2-value').fill('Signup')
    await page.getByRole('button', { name: 'Save funnel' }).click()

    const rows = page.locator('.funnel-table tbody tr')
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(3)
    const cells = async (metric: string) => page.locator(`.funnel-table td[data-metric="${metric}"]`).allTextContents()
    expect(await cells('visitors')).toEqual(['3', '2', '1'])
    expect(await cells('conversion_rate')).toEqual(['100%', '66.7%', '33.3%'])
    expect(await cells('step_conversion_rate')).toEqual(['—', '66.7%', '50%'])
    expect(await cells('dropoff')).toEqual(['—', '1', '1'])
    // the chart is an SVG image with a title per bar
    expect(await page.locator('svg.funnel-svg[role="img"] > title').textContent()).toContain('Signup path')
    expect(await page.locator('svg.funnel-svg g.funnel-step').count()).toBe(3)
    expect(new URL(page.url()).searchParams.get('funnel')).toMatch(/^\d+$/)
  })
})

describe('the consent report', () => {
  const decide = (body: Record<string, unknown>) =>
    t.app.inject({
      method: 'POST',
      url: '/api/consent',
      headers: { 'content-type': 'text/plain', origin: `http://${SITE}`, 'x-forwarded-for': '81.2.69.160' },
      payload: JSON.stringify({ domain: SITE, configVersion: 1, language: 'en', path: '/', gpc: false, clientTime: Date.now(), bannerVersion: '1.0.0', ...body }),
    })
  let consentId: string

  beforeAll(async () => {
    const made = []
    for (const body of [
      { method: 'accept_all', granted: ['analytics', 'marketing'] },
      { method: 'accept_all', granted: ['analytics', 'marketing'] },
      { method: 'reject_all', granted: [] },
      { method: 'custom', granted: ['analytics'] },
      { method: 'gpc', granted: [], gpc: true },
    ]) {
      const response = await decide(body)
      expect(response.statusCode, response.body).toBe(201)
      made.push(response.json())
    }
    consentId = made[0].consentId
    // the first visitor withdraws later
    const withdrawn = await decide({ method: 'withdraw', granted: [], consentId, receipt: made[0].receipt })
    expect(withdrawn.statusCode, withdrawn.body).toBe(201)
  })

  it('counts the decisions made through POST /api/consent', async () => {
    const page = await signedInPage()
    await page.goto(`${origin}/sites/${SITE}/consent?period=7d`)
    const total = (kind: string) => page.locator(`.total-chip[data-kind="${kind}"] strong`).textContent()
    await expect.poll(() => total('accept_all'), { timeout: 15_000 }).toBe('2')
    expect(await total('reject_all')).toBe('1')
    expect(await total('custom')).toBe('1')
    expect(await total('gpc')).toBe('1')
    expect(await total('withdraw')).toBe('1')
    expect(await page.locator('svg.chart-svg[role="img"] rect.seg').count()).toBeGreaterThan(0)
    // the category table shows what the report route answers
    const report = (await admin.request('GET', `/api/sites/${SITE}/consent/report?date_range=7d`)).json() as { categories: Array<{ category: string; granted: number; decisions: number }> }
    const analytics = report.categories.find((row) => row.category === 'analytics')!
    expect(analytics.granted).toBeGreaterThan(0)
    expect(await page.locator('tr[data-category="analytics"] td.num').allTextContents()).toEqual(
      expect.arrayContaining([String(analytics.granted), String(analytics.decisions)]),
    )
  })

  it('finds a consent id and shows its history', async () => {
    const page = await signedInPage()
    await page.goto(`${origin}/sites/${SITE}/consent`)
    await page.locator('#consent-id').fill(consentId)
    await page.getByRole('button', { name: 'Find' }).click()
    const methods = page.locator('table[data-table="history"] td[data-method]')
    await expect.poll(() => methods.evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-method'))), { timeout: 15_000 }).toEqual(['accept_all', 'withdraw'])
    expect(await page.locator('table[data-table="history"] caption').textContent()).toContain(consentId)

    // an unknown id says so
    await page.locator('#consent-id').fill('123e4567-e89b-42d3-a456-426614174000')
    await page.getByRole('button', { name: 'Find' }).click()
    const lookup = page.getByRole('region', { name: 'Look up a consent id' })
    await expect.poll(() => lookup.locator('.state-error').textContent()).toContain('123e4567-e89b-42d3-a456-426614174000')
  })
})

describe('the world map', () => {
  let fixtures: FixtureServer
  let dir: string

  beforeAll(async () => {
    // The map alone, bundled the way the dashboard bundles it, on a page of its own.
    dir = mkdtempSync(join(tmpdir(), 'candor-map-'))
    await build({
      stdin: {
        contents: `import { render } from 'preact'
import { WorldMap } from './map/world-map.tsx'
const selected: string[] = ((window as any).selected = [])
render(<WorldMap data={[{ code: 'DE', visitors: 1234 }, { code: 'us', visitors: 56 }, { code: 'SG', visitors: 3 }]} onSelect={(code) => selected.push(code)} />, document.getElementById('app')!)
`,
        resolveDir: join(projectRoot, 'dashboard', 'src'),
        sourcefile: 'map-harness.tsx',
        loader: 'tsx',
      },
      bundle: true,
      format: 'esm',
      outfile: join(dir, 'entry.js'),
      jsx: 'automatic',
      jsxImportSource: 'preact',
      logLevel: 'silent',
    })
    writeFileSync(join(dir, 'index.html'), '<!doctype html><html lang="en"><head><link rel="stylesheet" href="entry.css"></head><body><div id="app"></div><script type="module" src="entry.js"></script></body></html>')
    fixtures = await serveFixtures({ root: dir })
  })
  afterAll(async () => {
    await fixtures?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('draws countries titled with their visitors, focusable and selectable with Enter', async () => {
    context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(fixtures.url('/index.html'))
    const germany = page.locator('path[data-code="DE"]')
    await expect.poll(() => germany.locator('title').textContent()).toBe('Germany: 1,234 visitors')
    expect(await page.locator('path[data-code="US"] title').textContent()).toBe('United States: 56 visitors')
    expect(await page.locator('path[data-code="FR"] title').textContent()).toBe('France: no visitors')
    expect(await page.locator('svg[role="img"]').getAttribute('aria-label')).toBe('Visitors by country')
    expect(await page.locator('path[data-code]').count()).toBeGreaterThan(170)
    // only countries with visitors are in the tab order
    expect(await page.locator('path[tabindex="0"]').count()).toBe(2)
    // the table fallback has the same numbers, busiest first
    expect(await page.locator('table tbody th').allTextContents()).toEqual(['Germany', 'United States', 'Singapore'])
    // Tab reaches the countries with visitors, in the map's order (DE before US)
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-code'))).toBe('DE')
    await page.keyboard.press('Enter')
    expect(await page.evaluate(() => (window as unknown as { selected: string[] }).selected)).toEqual(['DE'])
    // drawn with real area: Russia is wider than France
    const width = (code: string) => page.locator(`path[data-code="${code}"]`).evaluate((path) => (path as SVGPathElement).getBBox().width)
    expect(await width('RU')).toBeGreaterThan(await width('FR'))
  })

  it('keeps its generated paths within 30 KB gzip', async () => {
    const source = await readFile(join(projectRoot, 'dashboard', 'src', 'map', 'world-paths.ts'))
    expect(gzipSync(source, { level: 9 }).length).toBeLessThanOrEqual(30 * 1024)
  })
})
