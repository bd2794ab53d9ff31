// Retention is enforced by ClickHouse itself: each row carries its site's retention and a TTL;
// shortening a site's retention rewrites stored rows, which removes those now past it.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
  await t.addSite('shop.test', { retentionDays: 400 })
  await t.addSite('blog.test', { retentionDays: 400 })
})
afterAll(() => t?.close())

const daysAgo = (days: number) => Math.floor(Date.now() / 1000) - days * 86_400

async function insertOld(siteId: number, days: number, retention: number, sessionId: number) {
  const common = { site_id: siteId, visitor_id: sessionId, session_id: sessionId, retention_days: retention }
  const settings = { insert_deduplicate: 0 } as const
  await t.app.clickhouse.client.insert({
    table: 'events',
    values: [{ ...common, timestamp: daysAgo(days), name: 'pageview', hostname: 'x', pathname: `/${days}` }],
    format: 'JSONEachRow',
    clickhouse_settings: settings,
  })
  await t.app.clickhouse.client.insert({
    table: 'sessions',
    values: [{ ...common, sign: 1, version: 1, start: daysAgo(days), timestamp: daysAgo(days), pageviews: 1, events: 1 }],
    format: 'JSONEachRow',
    clickhouse_settings: settings,
  })
}

const count = async (table: string, site: number) =>
  (await t.rows<{ n: number }>(`SELECT count() AS n FROM ${table} WHERE site_id = {site:UInt32}`, { site }))[0]!.n

it("stamps new rows with their site's retention", async () => {
  await t.send({ n: 'pageview', u: 'https://shop.test/', d: 'shop.test' })
  await t.flush()
  const rows = await t.rows<{ retention_days: number }>('SELECT DISTINCT retention_days FROM events')
  expect(rows).toEqual([{ retention_days: 400 }])
})

it('drops rows past their retention (TTL)', async () => {
  const blog = await t.app.sites.get('blog.test')
  await insertOld(blog.id, 40, 30, 1001)
  await insertOld(blog.id, 10, 30, 1002)
  await t.app.clickhouse.client.command({ query: 'OPTIMIZE TABLE events FINAL' })
  await t.app.clickhouse.client.command({ query: 'OPTIMIZE TABLE sessions FINAL' })
  expect(await count('events', blog.id)).toBe(1)
  expect(await count('sessions', blog.id)).toBe(1)
})

it("applies a shortened retention to the rows already stored, for that site only", async () => {
  const shop = await t.app.sites.get('shop.test')
  const blog = await t.app.sites.get('blog.test')
  await insertOld(shop.id, 200, 400, 2001)
  await insertOld(shop.id, 20, 400, 2002)
  await insertOld(blog.id, 200, 400, 2003)
  const shopBefore = await count('events', shop.id)
  const blogBefore = await count('events', blog.id)

  const response = await t.app.inject({
    method: 'PATCH',
    url: '/api/admin/sites/shop.test',
    headers: { authorization: `Bearer ${t.operatorToken}` },
    payload: { retentionDays: 90 },
  })
  expect(response.statusCode).toBe(200)
  expect(response.json().retentionDays).toBe(90)

  expect(await count('events', shop.id)).toBe(shopBefore - 1)
  expect(await count('sessions', shop.id)).toBe(2)
  expect(await count('events', blog.id)).toBe(blogBefore)
  const stamped = await t.rows<{ retention_days: number }>('SELECT DISTINCT retention_days FROM events WHERE site_id = {site:UInt32}', { site: shop.id })
  expect(stamped).toEqual([{ retention_days: 90 }])

  // Events that arrive now carry the new retention.
  await t.send({ n: 'pageview', u: 'https://shop.test/after', d: 'shop.test' }, { ip: '192.0.2.77' })
  await t.flush()
  const [latest] = await t.rows<{ retention_days: number }>("SELECT retention_days FROM events WHERE pathname = '/after'")
  expect(latest!.retention_days).toBe(90)
})

it('an hourly pass brings rows written later with an old retention up to date', async () => {
  const { reconcileRetention } = await import('../../server/privacy/index.ts')
  const shop = await t.app.sites.get('shop.test')
  // A row that was still in a spool when the retention changed, stamped with the old value.
  await insertOld(shop.id, 200, 400, 3001)
  await insertOld(shop.id, 5, 400, 3002)
  // blog.test too: the TTL test above stamped a row with 30 days while the site keeps 400.
  expect(await reconcileRetention(t.app.clickhouse, t.app.sites)).toEqual(['blog.test', 'shop.test'])
  const stamped = await t.rows<{ retention_days: number }>('SELECT DISTINCT retention_days FROM events WHERE site_id = {site:UInt32}', { site: shop.id })
  expect(stamped).toEqual([{ retention_days: 90 }])
  const old = await t.rows<{ n: number }>("SELECT count() AS n FROM events WHERE site_id = {site:UInt32} AND pathname = '/200'", { site: shop.id })
  expect(old[0]!.n).toBe(0)
  expect(await reconcileRetention(t.app.clickhouse, t.app.sites)).toEqual([])
})
