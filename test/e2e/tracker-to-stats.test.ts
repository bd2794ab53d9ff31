// End to end: real Chromium loads a shop page (shop.test) that embeds the tracker from a real
// Candor server; the visitor navigates the SPA, fires a custom event and follows an outbound link;
// the Stats API then returns exactly those counts.
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { projectRoot } from '../../server/paths.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { launch, newContext, serveFixtures, type FixtureServer } from '../helpers/browser.ts'

let t: TestApp
let key: string
let fixtures: FixtureServer
let browser: Browser

beforeAll(async () => {
  t = await startTestApp({ env: { TRUST_PROXY: 'false' } })
  key = await t.addSite('shop.test', { timezone: 'Asia/Kolkata' })
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = t.app.server.address() as { port: number }
  fixtures = await serveFixtures({
    root: join(projectRoot, 'test', 'fixtures', 'e2e'),
    // The page loads the tracker from the analytics host, which resolves to the Candor server.
    vars: { CANDOR: `http://analytics.test:${port}` },
  })
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
  await fixtures?.close()
  await t?.close()
})

/** Waits until the server has acknowledged `count` events in all, then until they are in ClickHouse. */
async function delivered(count: number): Promise<void> {
  const deadline = Date.now() + 20_000
  while ((await t.app.metrics.eventsAccepted.get()).values[0]?.value !== count) {
    if (Date.now() > deadline) throw new Error('the tracker did not deliver its events')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await t.flush()
}

const query = async (body: Record<string, unknown>) => {
  const response = await t.query(key, { site_id: 'shop.test', date_range: 'day', ...body })
  expect(response.statusCode).toBe(200)
  return response.json.results as Array<{ metrics: number[]; dimensions: string[] }>
}

it('counts a visit with SPA navigations, a custom event and an outbound click exactly', async () => {
  const context = await newContext(browser)
  const page = await context.newPage()
  const extras = page.waitForResponse((response) => response.url().endsWith('/js/extras.js'))
  await page.goto(fixtures.url('/shop.html'))
  await extras
  await page.click('#products')
  await page.click('#checkout')
  await page.click('#signup')
  await page.click('#partner')
  await page.waitForURL(/partner\.test/)
  await context.close()

  // Three pageviews, Signup and the outbound click.
  await delivered(5)

  expect(await query({ metrics: ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate'] })).toEqual([
    { metrics: [1, 1, 3, 5, 0], dimensions: [] },
  ])
  expect(await query({ metrics: ['events'], dimensions: ['event:name'] })).toEqual([
    { metrics: [3], dimensions: ['pageview'] },
    { metrics: [1], dimensions: ['Outbound Link: Click'] },
    { metrics: [1], dimensions: ['Signup'] },
  ])
  expect(await query({ metrics: ['pageviews'], dimensions: ['event:page'], order_by: [['event:page', 'asc']] })).toEqual([
    { metrics: [1], dimensions: ['/checkout'] },
    { metrics: [1], dimensions: ['/products'] },
    { metrics: [1], dimensions: ['/shop.html'] },
  ])
  expect(await query({ metrics: ['visits'], dimensions: ['visit:entry_page', 'visit:exit_page'] })).toEqual([
    { metrics: [1], dimensions: ['/shop.html', '/checkout'] },
  ])
  expect(await query({ metrics: ['events'], dimensions: ['event:props:url'], filters: [['is', 'event:name', ['Outbound Link: Click']]] })).toEqual([
    { metrics: [1], dimensions: [`http://partner.test:${fixtures.port}/welcome.html`] },
  ])
  expect(await query({ metrics: ['events'], dimensions: ['event:props:plan'], filters: [['is', 'event:name', ['Signup']]] })).toEqual([
    { metrics: [1], dimensions: ['pro'] },
  ])
  expect(await query({ metrics: ['visitors'], dimensions: ['visit:browser', 'visit:device'] })).toEqual([
    { metrics: [1], dimensions: ['Chrome', 'Desktop'] },
  ])

  // The anonymous tier: nothing of the consented set was stored, and no query string.
  const rows = await t.rows<{ tier: string; screen_width: number; fonts: string[]; pathname: string }>(
    'SELECT tier, screen_width, fonts, pathname FROM events',
  )
  expect(rows.every((row) => row.tier === 'anonymous' && row.screen_width === 0 && row.fonts.length === 0)).toBe(true)
  expect(rows.some((row) => row.pathname.includes('SECRET'))).toBe(false)
})

it('records the consented set for a visitor who granted analytics consent', async () => {
  const context = await newContext(browser, { viewport: { width: 1280, height: 800 } })
  await context.addInitScript(() => {
    ;(window as unknown as { candorConsent: unknown }).candorConsent = { analytics: true }
  })
  const page = await context.newPage()
  const extras = page.waitForResponse((response) => response.url().endsWith('/js/extras.js'))
  await page.goto(fixtures.url('/shop.html'))
  await extras
  await page.click('#products')
  await page.click('#signup')
  await context.close()

  // Two pageviews, Signup, and a Click for each of the two buttons (consented tier only).
  await delivered(5 + 5)
  const rows = await t.rows<{ name: string; tier: string; screen_width: number; fonts: string[]; returning: string }>(
    "SELECT name, tier, screen_width, fonts, returning FROM events WHERE tier = 'consented' ORDER BY timestamp, name",
  )
  expect(rows.map((row) => row.name).sort()).toEqual(['Click', 'Click', 'Signup', 'pageview', 'pageview'])
  expect(rows.every((row) => row.screen_width > 0 && row.returning === 'new')).toBe(true)
  // Fonts come from the extras file, so events after it loaded carry them.
  expect(rows.some((row) => row.fonts.length > 0)).toBe(true)
  // Same address and browser on the same day: the same daily visitor hash, so the visit goes on
  // (within 30 minutes), now in the consented tier: one visitor, one visit.
  expect(await query({ metrics: ['visitors', 'visits'] })).toEqual([{ metrics: [1, 1], dimensions: [] }])
  const [visit] = await t.rows<{ tier: string; pageviews: number; screen_width: number }>(
    'SELECT argMax(tier, version) AS tier, argMax(pageviews, version) AS pageviews, argMax(screen_width, version) AS screen_width FROM sessions',
  )
  expect(visit).toEqual({ tier: 'consented', pageviews: 5, screen_width: 1280 })
})
