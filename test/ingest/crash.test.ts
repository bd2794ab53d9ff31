// The real server process under a stream of events: killed with SIGKILL and restarted, every event
// it acknowledged is stored exactly once; stopped with SIGTERM, it writes its spool to ClickHouse
// before it exits, so the next start has nothing to replay.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { CHROME } from '../helpers/app.ts'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'candor-crash-'))
let server: ServerProcess | undefined
let key = ''
const acknowledged = new Set<number>()
let next = 0

afterAll(() => {
  server?.child.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

/** Sends events from 16 concurrent lanes until `stop` resolves; records the sequence numbers answered 202. */
async function stream(url: string, stop: Promise<unknown>): Promise<void> {
  let stopped = false
  void stop.then(() => (stopped = true))
  const lane = async (lane: number) => {
    while (!stopped) {
      const id = next++
      try {
        const response = await fetch(`${url}/api/event`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', 'user-agent': CHROME, 'x-forwarded-for': `198.51.100.${lane}` },
          body: JSON.stringify({ n: 'Order', u: `https://shop.test/checkout/${lane}`, d: 'shop.test', p: { seq: id } }),
        })
        if (response.status === 202) acknowledged.add(id)
      } catch {
        // the server is gone: this event was never acknowledged
      }
    }
  }
  await Promise.all(Array.from({ length: 16 }, (_, i) => lane(i)))
}

async function waitForEmptySpool(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    const health = (await (await fetch(`${url}/api/health`)).json()) as { spool: { backlogBytes: number } }
    if (health.spool.backlogBytes === 0) return
    if (i > 600) throw new Error('the spool was not replayed')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** How many times each sequence number is stored, read through the Stats API. */
async function storedCopies(url: string): Promise<Map<number, number>> {
  const results: Array<{ metrics: [number]; dimensions: [string] }> = []
  for (let offset = 0; ; offset += 10_000) {
    const response = await fetch(`${url}/api/v2/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        site_id: 'shop.test',
        metrics: ['events'],
        date_range: '7d',
        dimensions: ['event:props:seq'],
        pagination: { limit: 10_000, offset },
      }),
    })
    expect(response.status).toBe(200)
    const page = ((await response.json()) as { results: typeof results }).results
    results.push(...page)
    if (page.length < 10_000) break
  }
  return new Map(results.map((row) => [Number(row.dimensions[0]), row.metrics[0]]))
}

function expectExactlyOnce(copies: Map<number, number>): void {
  expect([...copies.values()].filter((n) => n !== 1)).toEqual([])
  expect([...acknowledged].filter((id) => !copies.has(id))).toEqual([])
  // Events sent but never acknowledged may or may not have made it; nothing else may appear.
  expect([...copies.keys()].every((id) => id < next)).toBe(true)
}

it('stores every acknowledged event exactly once after a SIGKILL and a restart', async () => {
  server = await startServerProcess(dataDir, { TRUST_PROXY: 'true' })
  const admin = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }
  const added = await fetch(`${server.url}/api/admin/sites`, { method: 'POST', headers: admin, body: JSON.stringify({ domain: 'shop.test' }) })
  expect(added.status, await added.clone().text()).toBe(201)
  key = ((await (await fetch(`${server.url}/api/admin/sites/shop.test/keys`, { method: 'POST', headers: { authorization: admin.authorization } })).json()) as { key: string }).key

  // Let the writer insert a few batches while the stream goes on, then kill without warning.
  const victim = server
  const killed = new Promise((resolve) => setTimeout(resolve, 2_500)).then(() => victim.child.kill('SIGKILL'))
  await stream(victim.url, killed)
  expect(await victim.exited).toBe('SIGKILL')
  expect(acknowledged.size).toBeGreaterThan(100)

  // The restarted server replays its spool (the dead process's lock is stale and taken over).
  server = await startServerProcess(dataDir, { TRUST_PROXY: 'true' })
  await waitForEmptySpool(server.url)
  expectExactlyOnce(await storedCopies(server.url))
}, 180_000)

it('writes the spool to ClickHouse on SIGTERM before exiting', async () => {
  const before = acknowledged.size
  const running = server!
  const stopped = new Promise((resolve) => setTimeout(resolve, 1_500)).then(() => running.child.kill('SIGTERM'))
  await stream(running.url, stopped)
  expect(await running.exited).toBe(0)
  expect(acknowledged.size).toBeGreaterThan(before)
  expect(existsSync(join(dataDir, 'candor.lock'))).toBe(false)

  // Nothing is left to replay: ClickHouse has everything up to the end of the spool.
  const spoolDir = join(dataDir, 'spool')
  const { committed, pending } = JSON.parse(readFileSync(join(spoolDir, 'checkpoint'), 'utf8')) as { committed: number; pending: unknown }
  const segmentEnds = readdirSync(spoolDir)
    .filter((name) => name.endsWith('.spool'))
    .map((name) => Number(name.slice(0, 16)) + statSync(join(spoolDir, name)).size)
  expect(pending).toBeNull()
  expect(committed).toBeGreaterThan(0)
  // Drained segments are deleted; whatever is left ends where ClickHouse's copy ends.
  expect(segmentEnds.every((end) => end <= committed)).toBe(true)

  server = await startServerProcess(dataDir, { TRUST_PROXY: 'true' })
  expectExactlyOnce(await storedCopies(server.url))
}, 180_000)
