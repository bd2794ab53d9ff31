// Health, Prometheus metrics and the OpenAPI document generated from the route schemas.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
  await t.addSite('shop.test')
})
afterAll(() => t?.close())

it('reports both databases and the spool in /api/health', async () => {
  const response = await t.app.inject({ url: '/api/health' })
  expect(response.statusCode).toBe(200)
  expect(response.json()).toEqual({
    status: 'ok',
    clickhouse: { ok: true },
    postgres: { ok: true },
    spool: { writable: true, backlogBytes: expect.any(Number), committedOffset: expect.any(Number), durableOffset: expect.any(Number) },
  })
})

it('exposes Prometheus metrics for accepted, dropped, spool, flush latency and ClickHouse errors', async () => {
  await t.send({ n: 'pageview', u: 'https://shop.test/', d: 'shop.test' })
  await t.send({ n: 'pageview', u: 'https://shop.test/', d: 'nobody.test' })
  await t.send({ n: 'pageview', d: 'shop.test' })
  await t.flush()
  const response = await t.app.inject({ url: '/metrics' })
  expect(response.statusCode).toBe(200)
  expect(response.headers['content-type']).toContain('text/plain')
  const text = response.body
  expect(text).toMatch(/^candor_events_accepted_total 1$/m)
  expect(text).toMatch(/^candor_events_dropped_total\{reason="unknown_site"\} 1$/m)
  expect(text).toMatch(/^candor_spool_bytes 0$/m)
  expect(text).toMatch(/^candor_writer_flush_seconds_count [1-9]/m)
  expect(text).toMatch(/^candor_spool_sync_seconds_count [1-9]/m)
  expect(text).toContain('candor_clickhouse_errors_total')
  expect(text).toMatch(/^candor_writer_rows_total\{table="events"\} 1$/m)
  expect(text).toMatch(/^candor_events_rejected_total\{status="400"\} 1$/m)
})

it('publishes an OpenAPI 3 document built from the route schemas', async () => {
  const response = await t.app.inject({ url: '/api/openapi.json' })
  expect(response.statusCode).toBe(200)
  const document = response.json()
  expect(document.openapi).toMatch(/^3\./)
  expect(Object.keys(document.paths)).toEqual(
    expect.arrayContaining(['/api/event', '/api/v2/query', '/api/admin/sites', '/api/admin/sites/{domain}', '/api/admin/sites/{domain}/keys', '/api/health']),
  )
  const event = document.paths['/api/event'].post
  expect(Object.keys(event.requestBody.content['application/json'].schema.properties)).toEqual(expect.arrayContaining(['n', 'u', 'd', 'name', 'url', 'domain']))
  expect(Object.keys(event.responses)).toEqual(expect.arrayContaining(['202', '400', '413', '429', '503']))
  expect(document.paths['/api/v2/query'].post.requestBody.content['application/json'].schema.required).toEqual(
    expect.arrayContaining(['site_id', 'metrics', 'date_range']),
  )
  expect(document.components.schemas.ErrorBody.required).toEqual(['error', 'message'])
  expect(JSON.stringify(document)).not.toContain('"hide"')
})

it('serves the tracker with caching headers and a 304 for a known ETag', async () => {
  const script = await t.app.inject({ url: '/js/script.js' })
  expect(script.statusCode).toBe(200)
  expect(script.headers['content-type']).toContain('javascript')
  expect(script.headers['access-control-allow-origin']).toBe('*')
  const again = await t.app.inject({ url: '/t.js', headers: { 'if-none-match': String(script.headers.etag) } })
  expect(again.statusCode).toBe(304)
  expect((await t.app.inject({ url: '/js/extras.js' })).statusCode).toBe(200)
  const page = await t.app.inject({ url: '/' })
  expect(page.statusCode).toBe(200)
  expect(page.body).toContain('lang="ru"')
})

it('answers unknown routes with the JSON error shape', async () => {
  const response = await t.app.inject({ url: '/api/nothing-here' })
  expect(response.statusCode).toBe(404)
  expect(response.json()).toEqual({ error: 'not_found', message: 'No route for GET /api/nothing-here' })
})
