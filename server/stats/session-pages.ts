// Since when every sessions row lists its visit's pages (ClickHouse migration 005). Rows written
// without them read [] — an upgraded install's history, a spool written by an older version and
// replayed after the upgrade, or an older node of a cluster during a rolling upgrade. A page filter
// reads "visits that saw it" from `pages` only for ranges after the last such row; a range reaching
// back to one builds the set of matching visits from events instead (sql.ts), so those keep their
// numbers. The whole table is read at start-up and when the spool writer stores older rows; every
// minute only the last two days are, for older nodes' rows (the key prunes the rest).
import type { ClickHouseClient } from '../db/clickhouse.ts'

export class SessionPages {
  /** Sessions rows starting at or after this instant (ms) list their pages; null until first read. */
  #since: number | null = null
  #timer: NodeJS.Timeout | undefined

  constructor(readonly clickhouse: ClickHouseClient) {}

  get since(): number | null {
    return this.#since
  }

  /** Reads the start of the latest row without pages (a sizes-only read of the array). */
  async refresh(): Promise<void> {
    this.#since = (await this.#latestWithoutPages('')) ?? 0
  }

  /** Reads the last two days only: rows an older node is writing now. `since` only moves later. */
  async refreshRecent(): Promise<void> {
    const latest = await this.#latestWithoutPages(' AND start >= now() - INTERVAL 2 DAY')
    if (latest !== null) this.#since = Math.max(this.#since ?? 0, latest)
  }

  /** The instant after the latest sessions row without pages (ms), or null when there is none. */
  async #latestWithoutPages(range: string): Promise<number | null> {
    const result = await this.clickhouse.query({
      query: `SELECT count() AS rows, toUnixTimestamp(max(start)) AS latest FROM sessions WHERE empty(pages)${range}`,
      format: 'JSONEachRow',
    })
    const [row] = await result.json<{ rows: number | string; latest: number | string }>()
    return Number(row?.rows ?? 0) === 0 ? null : (Number(row!.latest) + 1) * 1000
  }

  start(intervalMs = 60_000): void {
    this.#timer = setInterval(() => void this.refreshRecent().catch(() => undefined), intervalMs)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}
