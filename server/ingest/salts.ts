// Daily salts: random, one per calendar date, shared by every ingest node through Postgres,
// created ahead of time, and deleted once their date has ended everywhere plus one day, so no
// visitor hash can link two days.
import { randomBytes } from 'node:crypto'
import type { Postgres } from '../db/index.ts'
import { dayStart, dayString, shiftDay } from '../time.ts'

const DAY_MS = 86_400_000
/** UTC-12 is the last zone where a date is still running: it ends 12 hours after UTC's midnight. */
const LAST_ZONE_LAG_MS = 12 * 3_600_000

/** A salt may go once its date has ended in every time zone, plus one day for visits crossing midnight. */
export const saltExpired = (day: string, now: number) => now >= dayStart(day) + 2 * DAY_MS + LAST_ZONE_LAG_MS

export class SaltStore {
  readonly #pg: Postgres
  #salts = new Map<string, Buffer>()
  #timer: NodeJS.Timeout | undefined

  constructor(pg: Postgres) {
    this.#pg = pg
  }

  /** Loads the salts and keeps them fresh every `refreshMs` (hourly by default). */
  async start(refreshMs = 3_600_000): Promise<void> {
    await this.refresh()
    this.#timer = setInterval(() => {
      this.refresh().catch(() => {
        // Postgres is away: keep the salts we hold; the next run tries again.
      })
    }, refreshMs)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  /**
   * Makes sure the dates any time zone can be in now and tomorrow have salts (UTC date −1 … +2),
   * deletes expired ones, and reloads. Every node runs this; ON CONFLICT makes them agree.
   */
  async refresh(now = Date.now()): Promise<void> {
    const today = dayString(now)
    for (const offset of [-1, 0, 1, 2]) {
      const day = shiftDay(today, offset)
      if (saltExpired(day, now)) continue
      await this.#pg.query('INSERT INTO salts (day, salt) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING', [day, randomBytes(32)])
    }
    const rows = await this.#pg.query<{ day: string; salt: Uint8Array }>("SELECT to_char(day, 'YYYY-MM-DD') AS day, salt FROM salts")
    const salts = new Map<string, Buffer>()
    const expired: string[] = []
    for (const row of rows) {
      if (saltExpired(row.day, now)) expired.push(row.day)
      else salts.set(row.day, Buffer.from(row.salt))
    }
    if (expired.length > 0) await this.#pg.query('DELETE FROM salts WHERE day = ANY($1::date[])', [expired])
    this.#salts = salts
  }

  get(day: string): Buffer | undefined {
    return this.#salts.get(day)
  }

  days(): string[] {
    return [...this.#salts.keys()].sort()
  }
}
