// ClickHouse faults under a stream of events: while it is down, events are acknowledged from the
// spool and written once it is back; a lost reply is retried without double counting; a full
// spool answers 503 with Retry-After; a restart replays what was acknowledged.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { Faults } from '../helpers/faults.ts'

const faults = new Faults()
let t: TestApp
// Owned by this file (not the harness) so that it survives the restart below.
const dataDir = mkdtempSync(join(tmpdir(), 'candor-faults-'))
let seq = 0

const open = async () => {
  t = await startTestApp({ clickhouse: { wrapInsert: faults.wrap }, env: { SPOOL_MAX_BYTES: '1MiB' }, dataDir })
}

beforeAll(async () => {
  await open()
  await t.addSite('shop.test')
})
afterAll(async () => {
  faults.mode = 'up'
  await t?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

/** Sends `n` events in waves of 20 concurrent requests; returns the sequence numbers answered 202. */
async function stream(n: number): Promise<{ accepted: number[]; statuses: number[]; retryAfter: string[] }> {
  const accepted: number[] = []
  const statuses: number[] = []
  const retryAfter: string[] = []
  for (let sent = 0; sent < n; sent += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, n - sent) }, async (_, i) => {
        const id = ++seq
        const response = await t.send(
          { n: id % 5 === 0 ? 'Signup' : 'pageview', u: `https://shop.test/p/${id % 17}`, d: 'shop.test', p: { seq: id } },
          { ip: `203.0.113.${(sent + i) % 200}` },
        )
        statuses.push(response.statusCode)
        if (response.statusCode === 202) accepted.push(id)
        if (response.headers['retry-after']) retryAfter.push(String(response.headers['retry-after']))
      }),
    )
  }
  return { accepted, statuses, retryAfter }
}

const storedSeqs = async () =>
  (await t.rows<{ seq: string; copies: number }>("SELECT props['seq'] AS seq, count() AS copies FROM events GROUP BY seq"))

describe('ClickHouse unavailable for a while', () => {
  it('acknowledges from the spool and stores every acknowledged event exactly once when it is back', async () => {
    faults.mode = 'down'
    const before = faults.failures
    const { accepted, statuses } = await stream(300)
    expect(statuses.every((status) => status === 202)).toBe(true)
    // The writer keeps trying and the backlog waits on disk.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(faults.failures).toBeGreaterThan(before)
    const health = (await t.app.inject({ url: '/api/health' })).json()
    expect(health.spool.backlogBytes).toBeGreaterThan(0)
    expect((await t.app.inject({ url: '/metrics' })).body).toMatch(/candor_clickhouse_errors_total\{operation="insert"\} [1-9]/)

    faults.mode = 'up'
    await t.flush()
    const stored = await storedSeqs()
    expect(stored.filter((row) => row.copies !== 1)).toEqual([])
    expect(stored.map((row) => Number(row.seq)).sort((a, b) => a - b)).toEqual(accepted.sort((a, b) => a - b))
    const [visits] = await t.rows<{ visits: number; events: number }>('SELECT sum(sign) AS visits, sum(sign * events) AS events FROM sessions')
    expect(visits!.events).toBe(stored.length)
  })

  it('does not double count a batch whose reply was lost', async () => {
    const before = (await storedSeqs()).length
    faults.mode = 'lose-reply'
    const { accepted } = await stream(100)
    await new Promise((resolve) => setTimeout(resolve, 400))
    faults.mode = 'up'
    await t.flush()
    const stored = await storedSeqs()
    expect(stored.filter((row) => row.copies !== 1)).toEqual([])
    expect(stored.length).toBe(before + accepted.length)
  })
})

describe('a full spool', () => {
  it('answers 503 with Retry-After once SPOOL_MAX_BYTES is reached, and loses nothing it acknowledged', async () => {
    const before = (await storedSeqs()).length
    faults.mode = 'down'
    const { accepted, statuses, retryAfter } = await stream(3000)
    expect(statuses).toContain(503)
    expect(retryAfter.length).toBeGreaterThan(0)
    expect(Number(retryAfter[0])).toBeGreaterThan(0)
    const refused = await t.send({ n: 'pageview', u: 'https://shop.test/', d: 'shop.test' })
    expect(refused.statusCode).toBe(503)
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'unavailable' })

    faults.mode = 'up'
    await t.flush()
    const stored = await storedSeqs()
    expect(stored.filter((row) => row.copies !== 1)).toEqual([])
    expect(stored.length).toBe(before + accepted.length)
    expect((await t.send({ n: 'pageview', u: 'https://shop.test/', d: 'shop.test' })).statusCode).toBe(202)
  })
})

describe('a restart', () => {
  it('replays the acknowledged backlog the previous process could not write', async () => {
    await t.flush()
    const before = (await storedSeqs()).length
    faults.mode = 'down'
    const { accepted } = await stream(60)
    expect(t.app.ingest.spool.backlogBytes).toBeGreaterThan(0)
    await t.close()

    faults.mode = 'up'
    await open()
    await t.flush()
    const stored = await storedSeqs()
    expect(stored.filter((row) => row.copies !== 1)).toEqual([])
    expect(stored.length).toBe(before + accepted.length)
  })
})
