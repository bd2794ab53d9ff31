// Writes synthetic traffic for a site straight into ClickHouse: exactly `events` events rows and
// the sessions rows of their visits, generated batch by batch so memory stays bounded whatever
// the count, each batch inserted once (a deduplication token per batch and table).
import { randomUUID } from 'node:crypto'
import type { InsertRows } from '../db/index.ts'
import { EVENT_COLUMNS, SESSION_COLUMNS } from '../ingest/index.ts'
import { TrafficGenerator, type SeedSite } from './generator.ts'

export const DEFAULT_SEED = 42
export const MAX_EVENTS = 1_000_000_000
export const MAX_DAYS = 3650

export interface SeedRequest {
  readonly events: number
  readonly days: number
  readonly seed?: number
  /** Unix seconds the traffic ends at; now by default. */
  readonly end?: number
  /** Events rows per insert. */
  readonly batchSize?: number
  /** Stops before the next batch once aborted. */
  readonly signal?: AbortSignal
}

export interface SeedProgress {
  readonly events: number
  readonly total: number
  readonly visits: number
  /** Seconds since the start. */
  readonly elapsed: number
}

export interface SeedSummary {
  readonly events: number
  readonly visits: number
  readonly seconds: number
}

export class SeedRequestError extends Error {}

/** A message naming what is wrong with the request, or null. */
export function checkSeedRequest(request: Pick<SeedRequest, 'events' | 'days' | 'seed'>): string | null {
  if (!Number.isSafeInteger(request.events) || request.events < 1 || request.events > MAX_EVENTS) {
    return `--events must be a whole number from 1 to ${MAX_EVENTS}`
  }
  if (!Number.isSafeInteger(request.days) || request.days < 1 || request.days > MAX_DAYS) return `--days must be a whole number from 1 to ${MAX_DAYS}`
  if (request.seed !== undefined && (!Number.isSafeInteger(request.seed) || request.seed < 0 || request.seed > 0xffffffff)) {
    return '--seed must be a whole number from 0 to 4294967295'
  }
  return null
}

const DEFAULT_BATCH = 200_000
const YIELD_EVERY_VISITS = 2000

export async function seedTraffic(
  insertRows: InsertRows,
  site: SeedSite,
  request: SeedRequest,
  onProgress: (progress: SeedProgress) => void = () => {},
): Promise<SeedSummary> {
  const problem = checkSeedRequest(request)
  if (problem) throw new SeedRequestError(problem)
  const started = performance.now()
  const elapsed = () => (performance.now() - started) / 1000
  const generator = new TrafficGenerator(site, {
    seed: request.seed ?? DEFAULT_SEED,
    days: request.days,
    end: request.end ?? Math.floor(Date.now() / 1000),
  })
  const batchSize = request.batchSize ?? DEFAULT_BATCH
  // A token per run and batch: a retried insert of the same batch is written once, a new run anew.
  const run = randomUUID()
  let generated = 0
  let inserted = { events: 0, visits: 0 }
  let batch = 0
  let pending: Promise<void> | null = null

  while (generated < request.events) {
    request.signal?.throwIfAborted()
    const events: string[] = []
    const sessions: string[] = []
    while (events.length < batchSize && generated + events.length < request.events) {
      const visit = generator.visit(request.events - generated - events.length)
      for (const line of visit.events) events.push(line)
      sessions.push(visit.session)
      // Lets a server running the seeding keep answering requests meanwhile.
      if (sessions.length % YIELD_EVERY_VISITS === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    generated += events.length
    const token = `seed-${run}-${batch++}`
    // One batch is inserted while the next is generated.
    const previous = pending
    pending = (async () => {
      await previous
      await insertRows('sessions', SESSION_COLUMNS, Buffer.from(sessions.join('')), `${token}-sessions`)
      await insertRows('events', EVENT_COLUMNS, Buffer.from(events.join('')), `${token}-events`)
      inserted = { events: inserted.events + events.length, visits: inserted.visits + sessions.length }
      onProgress({ ...inserted, total: request.events, elapsed: elapsed() })
    })()
    // Handled where it is awaited; this only keeps a failure from counting as unhandled meanwhile.
    pending.catch(() => {})
    await previous
  }
  await pending
  return { events: inserted.events, visits: inserted.visits, seconds: Math.round(elapsed() * 10) / 10 }
}
