// The dashboard in real Chromium against the real app: sign in through the page, read the
// fixture's numbers, filter by clicking a row, change the date range, data shown as text only,
// a viewer kept to their own site, Russian and the dark theme, and screenshots for review.
import { mkdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { strFromU8, unzipSync } from 'fflate'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { projectRoot } from '../../server/paths.ts'
import { createByOperator, newPerson, type Agent } from '../helpers/accounts.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { launch, newContext } from '../helpers/browser.ts'
import { visits } from '../helpers/factories.ts'

const A = 'alpha.test'
const B = 'beta.test'
const XSS = '<img src=x onerror="window.__xss=1">'
const artifacts = join(projectRoot, 'test-artifacts')

let t: TestApp
let browser: Browser
let origin: string
let manager: Agent
let viewer: Agent

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

beforeAll(async () => {
  const port = await freePort()
  origin = `http://127.0.0.1:${port}`
  // PUBLIC_URL is where the browser opens the dashboard: our own Origin for the CSRF check
  t = await startTestApp({ env: { PUBLIC_URL: origin } })
  await t.app.listen({ port, host: '127.0.0.1' })
  manager = await createByOperator(t, 'customer')
  viewer = await createByOperator(t, 'customer')
  const owner = await createByOperator(t, 'customer')
  const site = await t.app.sites.add({ domain: A }, manager.user.id)
  await t.app.sites.add({ domain: B }, owner.user.id)
  await t.app.sites.staff.add(site.id, viewer.user.id, 'viewer')
  const now = Date.now()
  const twoDaysAgo = now - 2 * 86_400_000
  const hourAgo = now - 3_600_000
  // 6 visitors, 6 visits, 9 pageviews in 30 days; 3 from Germany (6 pageviews); 2 today
  await visits(t, [
    ...[0, 1, 2].map((i) => ({
      site: A,
      start: twoDaysAgo + i * 600_000,
      pages: ['/', '/pricing'],
      country: 'DE',
      source: 'Google',
      browser: 'Firefox',
      events: i === 0 ? [{ name: 'Signup', props: { plan: 'pro' } }] : [],
    })),
    ...[0, 1].map((i) => ({ site: A, start: hourAgo + i * 60_000, pages: ['/'], country: 'FR', source: '', browser: 'Chrome' })),
    { site: A, start: twoDaysAgo, pages: [`/${XSS}`], country: 'US', source: XSS, referrerDomain: 'evil.test', referrer: `https://evil.test/${XSS}`, browser: 'Safari' },
    { site: B, start: twoDaysAgo, pages: ['/secret'], country: 'JP', source: 'Bing' },
  ])
  const goal = await manager.request('POST', `/api/sites/${A}/goals`, { kind: 'event', event_name: 'Signup', display_name: 'Signed up' })
  expect(goal.statusCode, goal.body).toBe(201)
  browser = await launch()
  mkdirSync(artifacts, { recursive: true })
})
afterAll(async () => {
  await browser?.close()
  await t?.close()
})

async function signIn(page: Page, login: string, password: string, path: string): Promise<void> {
  await page.goto(`${origin}${path}`)
  // no session: the login page, coming back afterwards
  await expect.poll(() => page.url(), { timeout: 10_000 }).toContain('/login?next=')
  await page.fill('input[name=identifier]', login)
  await page.fill('input[name=password]', password)
  await page.click('button[type=submit]')
  await expect.poll(() => new URL(page.url()).pathname, { timeout: 10_000 }).toBe(path)
}

const number = (page: Page, metric: string) => page.locator(`[data-metric="${metric}"] .number-value`)

test('staff read the numbers, filter by a row, change the range; data stays text', async () => {
  const context = await newContext(browser, { viewport: { width: 1280, height: 1000 }, colorScheme: 'light' })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await signIn(page, manager.person.login, manager.person.password, `/sites/${A}`)

  await expect.poll(() => number(page, 'visitors').textContent()).toBe('6')
  expect(await number(page, 'visits').textContent()).toBe('6')
  expect(await number(page, 'pageviews').textContent()).toBe('9')
  // the graph is its own request: it may arrive after the top numbers
  await expect.poll(() => page.locator('svg.graph[role=img] title').count()).toBeGreaterThan(0)

  // data strings are text: the markup shows, nothing runs
  const sources = page.locator('[data-card=sources]')
  await expect.poll(() => sources.getByText(XSS, { exact: true }).count()).toBe(1)
  await expect.poll(() => page.locator('[data-card=pages]').getByText(`/${XSS}`, { exact: true }).count()).toBe(1)
  await sources.getByRole('tab', { name: 'Referrers' }).click()
  await expect.poll(() => sources.locator('.row-text').allTextContents()).toContain(`https://evil.test/${XSS}`)
  expect(await page.locator('img[src=x]').count()).toBe(0)
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined()

  // goals with their conversion rate, custom events with a property's values (cards load when scrolled to)
  const goals = page.locator('[data-card=goals]')
  await goals.scrollIntoViewIfNeeded()
  await expect.poll(() => goals.locator('.row-text').allTextContents()).toEqual(['Signed up'])
  expect(await goals.locator('.num').allTextContents()).toEqual(['Visitors', 'Conversion rate', '1', '16.7%'])
  const events = page.locator('[data-card=events]')
  await events.scrollIntoViewIfNeeded()
  await expect.poll(() => events.locator('.row-text').allTextContents()).toEqual(['Signup'])
  await events.getByRole('button', { name: 'Properties' }).click()
  // the names its events carry are offered; one click shows that property's values
  await expect.poll(() => events.locator('.prop-names button').allTextContents()).toEqual(['plan'])
  await events.locator('.prop-names button', { hasText: 'plan' }).click()
  await expect.poll(() => events.locator('.props .row-text').allTextContents()).toEqual(['pro'])
  // a name can be typed too
  await events.getByRole('textbox', { name: 'Property name' }).fill('nothing')
  await events.getByRole('button', { name: 'Show' }).click()
  await expect.poll(() => events.locator('.props .row-text').allTextContents()).toEqual(['(none)'])

  await page.screenshot({ path: join(artifacts, 'dashboard-light.png'), fullPage: true })

  // the map tab loads the world map on demand
  const locations = page.locator('[data-card=locations]')
  await locations.getByRole('tab', { name: 'Map' }).click()
  await expect.poll(() => locations.locator('svg').count()).toBeGreaterThan(0)
  await locations.getByRole('tab', { name: 'Countries' }).click()

  // click Germany: a chip, the filter in the URL, the filtered numbers
  await page.locator('[data-card=locations]').getByRole('button', { name: /Germany/ }).click()
  await expect.poll(() => page.url()).toContain('f=visit:country,is,DE')
  await expect(page.locator('[data-testid=filters] .chip').textContent()).resolves.toContain('Germany')
  await expect.poll(() => number(page, 'visitors').textContent()).toBe('3')
  expect(await number(page, 'pageviews').textContent()).toBe('6')

  // the view is bookmarkable: a reload keeps it
  await page.reload()
  await expect.poll(() => number(page, 'visitors').textContent()).toBe('3')

  // Export CSV: the view's cards, with its filter, in a zip
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export]')])
  const files = unzipSync(new Uint8Array(readFileSync((await download.path())!)))
  const csv = (name: string) => strFromU8(files[name]!).trim().split('\r\n')
  expect(csv('countries.csv')).toEqual(['country,visitors,visits,pageviews,bounce_rate,visit_duration', 'DE,3,3,6,0,60'])
  expect(csv('pages.csv').slice(1).map((line) => line.split(',').slice(0, 3).join(','))).toEqual(['/,3,3', '/pricing,3,3'])
  expect(csv('visitors.csv').slice(1).reduce((sum, line) => sum + Number(line.split(',')[1]), 0)).toBe(3)

  // remove the chip, then today only: the two visits of the last hour
  await page.getByRole('button', { name: /Remove filter/ }).click()
  await expect.poll(() => number(page, 'visitors').textContent()).toBe('6')

  // the filter menu: any dimension and operator, with the view's values to pick from
  await page.click('[data-testid=filter-menu]')
  await page.selectOption('#filter-dimension', 'event:page')
  await expect.poll(() => page.locator('#filter-suggestions option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))).toContain('/pricing')
  await page.selectOption('#filter-operator', 'contains')
  await page.fill('#filter-value', 'pric')
  await page.screenshot({ path: join(artifacts, 'filter-menu.png') })
  await page.getByRole('button', { name: 'Apply filter' }).click()
  await expect.poll(() => page.url()).toContain('f=event:page,contains,pric')
  expect(await page.locator('[data-testid=filters] .chip span').textContent()).toBe('Page contains pric')
  await expect.poll(() => number(page, 'visitors').textContent()).toBe('3')
  await page.getByRole('button', { name: /Remove filter/ }).click()
  await expect.poll(() => number(page, 'visitors').textContent()).toBe('6')
  await page.selectOption('[data-testid=period]', 'day')
  await expect.poll(() => page.url()).toContain('period=day')
  await expect.poll(() => number(page, 'visitors').textContent()).toBe('2')

  // realtime: the last 30 minutes by minute (the fixture's visits are older)
  await page.click('[data-testid=realtime]')
  await expect.poll(() => page.url()).toContain('period=realtime')
  await expect.poll(() => number(page, 'visitors').textContent()).toBe('0')
  expect(await page.locator('[data-card=locations]').count()).toBe(0)

  // comparison shows a change against the previous period
  await page.selectOption('[data-testid=period]', '30d')
  await page.check('[data-testid=compare]')
  await expect.poll(() => page.url()).toContain('compare=1')
  await expect.poll(() => page.locator('svg.graph path.previous').count()).toBe(1)

  // Details: search narrows the rows
  await page.locator('[data-card=pages]').getByRole('button', { name: 'Details' }).click()
  const dialog = page.locator('dialog.modal')
  await expect.poll(() => dialog.locator('tbody tr').count()).toBe(3)
  expect(await dialog.locator('tbody tr td:first-child').first().textContent()).toBe('/')
  // sorting by visitors, ascending: the least visited page first
  await dialog.getByRole('button', { name: /Visitors/ }).click()
  await expect.poll(() => dialog.locator('tbody tr td:first-child').first().textContent()).toBe(`/${XSS}`)
  await dialog.locator('input[type=search]').fill('pric')
  await expect.poll(() => dialog.locator('tbody tr').count()).toBe(1)
  await dialog.getByRole('button', { name: 'Close' }).click()

  // Russian and the dark theme, remembered
  await page.selectOption('[data-testid=locale]', 'ru')
  await expect.poll(() => page.locator('#card-sources').textContent()).toBe('Источники')
  await page.click('[data-testid=theme]')
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark')
  await page.reload()
  await expect.poll(() => page.locator('#card-sources').textContent()).toBe('Источники')
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark')
  await expect.poll(() => number(page, 'visitors').textContent()).toBe('6')
  await page.screenshot({ path: join(artifacts, 'dashboard-dark.png'), fullPage: true })

  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined()
  expect(errors).toEqual([])
  await context.close()
})

test('a viewer of site A gets a not-found message for site B', async () => {
  const context = await newContext(browser)
  const page = await context.newPage()
  await signIn(page, viewer.person.login, viewer.person.password, `/sites/${A}`)
  await expect.poll(() => number(page, 'visitors').textContent()).toBe('6')
  await page.goto(`${origin}/sites/${B}`)
  await expect.poll(() => page.locator('[data-testid=site-not-found]').count()).toBe(1)
  expect(await page.getByText('Bing').count()).toBe(0)
  // the pages loaded on demand arrive
  await page.goto(`${origin}/sites/${A}/goals`)
  await expect.poll(() => page.locator('main').textContent()).not.toMatch(/Loading…$/)
  expect(await page.getByText('could not be loaded').count()).toBe(0)
  await context.close()
})

test('someone with documents to accept sees the notice after signing in and goes on after accepting', async () => {
  const person = newPerson()
  await t.app.accounts.createByOperator({ ...person, role: 'customer' })
  const context = await newContext(browser)
  const page = await context.newPage()
  await page.goto(`${origin}/login`)
  await page.fill('input[name=identifier]', person.login)
  await page.fill('input[name=password]', 'wrong-password-123456')
  await page.click('button[type=submit]')
  await expect.poll(() => page.locator('[role=alert]').textContent()).toContain('not right')
  await page.fill('input[name=password]', person.password)
  await page.click('button[type=submit]')
  await page.getByRole('button', { name: 'Accept and continue' }).click()
  await expect.poll(() => new URL(page.url()).pathname).toBe('/sites')
  await expect.poll(() => page.locator('main h1').textContent()).toBe('Your sites')
  await context.close()
})

test('the page is served with a strict CSP, the bundle with caching headers', async () => {
  const page = await fetch(`${origin}/sites/${A}`)
  expect(page.status).toBe(200)
  const csp = page.headers.get('content-security-policy') ?? ''
  for (const directive of ["script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) expect(csp).toContain(directive)
  const html = await page.text()
  const app = await fetch(`${origin}/dashboard/app.js`)
  expect(app.status).toBe(200)
  expect(app.headers.get('content-type')).toContain('javascript')
  const etag = app.headers.get('etag')!
  expect((await fetch(`${origin}/dashboard/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304)
  const chunk = /from"\.\/(chunk-[A-Z0-9]+\.js)"/.exec(await app.text())?.[1]
  expect(chunk, html).toBeTruthy()
  expect((await fetch(`${origin}/dashboard/${chunk}`)).headers.get('cache-control')).toContain('immutable')
  expect((await fetch(`${origin}/dashboard/nope.js`)).status).toBe(404)
})

test('a public dashboard asks for its password, then shows only rows of 5 visitors or more', async () => {
  expect((await manager.request('PATCH', `/api/sites/${A}`, { publicDashboard: true, publicPassword: 'open sesame please' })).statusCode).toBe(200)
  const context = await newContext(browser)
  const page = await context.newPage()
  await page.goto(`${origin}/share/${A}`)
  await page.fill('#share-password', 'not the password')
  await page.getByRole('button', { name: 'Show the dashboard' }).click()
  await expect.poll(() => page.locator('#share-password-error, [role=alert]').first().textContent()).toBeTruthy()
  await page.fill('#share-password', 'open sesame please')
  await page.getByRole('button', { name: 'Show the dashboard' }).click()
  await expect.poll(() => page.locator('[data-stat=visitors]').textContent()).toBe('6')
  // "/" had 5 visitors, "/pricing" 3: the smaller group is left out
  const pages = page.locator('section[aria-labelledby=share-event-page]')
  await expect.poll(() => pages.locator('.row-label').allTextContents()).toEqual(['/'])
  expect(await page.getByText(XSS).count()).toBe(0)
  // its CSV export holds the same public rows
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=share-export]')])
  const files = unzipSync(new Uint8Array(readFileSync((await download.path())!)))
  expect(strFromU8(files['pages.csv']!).trim().split('\r\n').map((line) => line.split(',')[0])).toEqual(['page', '/'])
  expect(files['cities.csv']).toBeUndefined()
  // the unlock cookie is HttpOnly: the page cannot read it
  expect(await page.evaluate(() => document.cookie)).toBe('')
  await context.close()
})
