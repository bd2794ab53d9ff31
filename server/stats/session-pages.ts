// Since when every sessions row lists its visit's pages (ClickHouse migration 005). Rows written
// before the column existed read [] — an upgraded install's history, or a spool written by an older
// version replayed after the upgrade. A page filter reads "visits that saw it" from `pages` only for
// ranges after the last such row; a range reaching back to one builds the set of matching visits
// from events instead (sql.ts), so upgraded history keeps its numbers.
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
    const result = await this.clickhouse.query({
      query: 'SELECT count() AS rows, toUnixTimestamp(max(start)) AS latest FROM sessions WHERE empty(pages)',
      format: 'JSONEachRow',
    })
    const [row] = await result.json<{ rows: number | string; latest: number | string }>()
    this.#since = Number(row?.rows ?? 0) === 0 ? 0 : (Number(row!.latest) + 1) * 1000
  }

  /** Keeps reading every `intervalMs`: rows of an older node (a rolling upgrade) or a replayed spool may still arrive. */
  start(intervalMs = 60_000): void {
    this.#timer = setInterval(() => void this.refresh().catch(() => undefined), intervalMs)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}
