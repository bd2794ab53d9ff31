// No IP address in any form is stored, spooled or logged: a request from a known address, in both
// tiers and on every kind of answer, then a search of every ClickHouse column, every other file
// under DATA_DIR (spool, Postgres, lock) and the log output.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.ts'

const IP = '81.2.69.160' // a GeoLite2 address in Bracknell, GB: the lookup must use it
const forms = [
  IP,
  '81.2.69.', // truncated
  '81.2.0.0',
  String(((81 << 24) >>> 0) + (2 << 16) + (69 << 8) + 160), // as an integer
  '::ffff:81.2.69.160',
  '::ffff:5102:45a0',
]

let t: TestApp
let log = ''
beforeAll(async () => {
  t = await startTestApp({
    env: { LOG_LEVEL: 'debug' },
    logStream: new Writable({
      write(chunk, _encoding, done) {
        log += chunk
        done()
      },
    }),
  })
  await t.addSite('shop.test')
})
afterAll(() => t?.close())

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      if (name !== 'clickhouse') yield* files(path)
    } else yield path
  }
}

it('keeps the address out of ClickHouse, the spool, Postgres and the logs', async () => {
  const from = { ip: IP }
  // Anonymous and consented tiers, a custom event, a session continuing, a drop, a 400, a 404.
  expect((await t.send({ n: 'pageview', u: 'https://shop.test/', d: 'shop.test', r: 'https://www.google.com/' }, from)).statusCode).toBe(202)
  expect((await t.send({ n: 'pageview', u: 'https://shop.test/b', d: 'shop.test', c: 1, sw: 1920, sh: 1080, dpr: 2, f: ['DejaVu Sans'], rv: 3 }, from)).statusCode).toBe(202)
  expect((await t.send({ n: 'Signup', u: 'https://shop.test/b', d: 'shop.test', c: 1, p: { plan: 'pro' } }, from)).statusCode).toBe(202)
  expect((await t.send({ n: 'pageview', u: 'https://shop.test/', d: 'unknown.test' }, from)).headers['x-candor-dropped']).toBe('unknown_site')
  expect((await t.send({ n: 42 } as Record<string, unknown>, from)).statusCode).toBe(400)
  expect((await t.app.inject({ url: '/nowhere', headers: { 'x-forwarded-for': IP } })).statusCode).toBe(404)
  await t.flush()

  // The address was used: the consented rows carry its city and ISP.
  const [consented] = await t.rows<{ country_code: string; city: string; isp: string }>(
    "SELECT country_code, city, isp FROM events WHERE tier = 'consented' LIMIT 1",
  )
  expect(consented!.country_code).toBe('GB')
  expect(consented!.city).not.toBe('')
  expect(consented!.isp).not.toBe('')

  for (const table of ['events', 'sessions']) {
    const dump = await t.app.clickhouse.client.query({ query: `SELECT * FROM ${table}`, format: 'TabSeparated' })
    const text = await dump.text()
    expect(text.length).toBeGreaterThan(0)
    for (const form of forms) expect(text, `${table} holds ${form}`).not.toContain(form)
  }
  for (const path of files(t.dataDir)) {
    const content = readFileSync(path).toString('latin1')
    for (const form of forms) expect(content.includes(form), `${path} holds ${form}`).toBe(false)
  }
  expect(log.length).toBeGreaterThan(0)
  expect(log).toContain('request completed')
  for (const form of forms) expect(log, `the log holds ${form}`).not.toContain(form)
})
