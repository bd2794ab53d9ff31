// Drains the spool into ClickHouse in batches. A batch's boundaries are recorded before it is
// sent and its insert carries a deduplication token derived from them, so a batch replayed after
// a crash or a failed attempt is stored once. While ClickHouse is down the writer retries with
// backoff and the spool grows; the ingest route refuses with 503 once it reaches SPOOL_MAX_BYTES.
import type { InsertRows } from '../db/index.ts'
import { SPOOL_TABLES } from './rows.ts'
import { SEAL_TAG } from './spool-files.ts'
import type { Batch, Spool } from './spool.ts'

export interface WriterOptions {
  spool: Spool
  insertRows: InsertRows
  /** Largest batch read from the spool. */
  batchBytes?: number
  /** How long a small backlog waits to grow into a bigger batch. */
  intervalMs?: number
  maxBackoffMs?: number
  onFlush?: (seconds: number, rows: { events: number; sessions: number }) => void
  /** Called after each part of a batch is stored (its tag says the row layout). */
  onStored?: (part: TablePart) => void
  onError?: (error: unknown) => void
}

const NEWLINE = 0x0a

export interface TablePart {
  /** The spool line tag: the table and its row layout. */
  readonly tag: string
  readonly table: string
  readonly columns: readonly string[]
  readonly rows: Buffer
  readonly count: number
}

/** Splits a batch into one insert per table, by each line's tag (the tag itself is dropped; group seals are skipped). */
export function splitBatch(data: Buffer): TablePart[] {
  const lines = new Map<number, Buffer[]>()
  let cursor = 0
  while (cursor < data.length) {
    const end = data.indexOf(NEWLINE, cursor) + 1
    const tag = data[cursor]!
    if (tag === SEAL_TAG) {
      cursor = end
      continue
    }
    let group = lines.get(tag)
    if (!group) lines.set(tag, (group = []))
    group.push(data.subarray(cursor + 1, end))
    cursor = end
  }
  return [...lines].map(([tag, rows]) => {
    const target = SPOOL_TABLES[String.fromCharCode(tag) as keyof typeof SPOOL_TABLES]
    if (!target) throw new Error(`unknown spool line tag ${String.fromCharCode(tag)}`)
    return { tag: String.fromCharCode(tag), table: target.table, columns: target.columns, rows: Buffer.concat(rows), count: rows.length }
  })
}

/**
 * The deduplication token of each part of a batch. A table gets two parts when an older version's
 * lines (another layout, spooled before an upgrade) and new ones share a batch; the second needs its
 * own token, or ClickHouse would drop it as a repeat of the first. Only batches built after the
 * upgrade mix layouts, so a batch an older version began keeps the token it was sent with.
 */
export function partTokens(parts: readonly TablePart[], token: string): string[] {
  const seen = new Set<string>()
  return parts.map((part) => {
    const first = !seen.has(part.table)
    seen.add(part.table)
    return first ? token : `${token}-${part.tag}`
  })
}

/** Unique per spool and batch: a replay of the batch gets the same token, another spool's batch never does. */
export const batchToken = (spoolId: string, batch: Batch) => `candor-${spoolId}-${batch.start}-${batch.end}`

export class SpoolWriter {
  readonly #options: Required<Omit<WriterOptions, 'onFlush' | 'onError' | 'onStored'>> & Pick<WriterOptions, 'onFlush' | 'onError' | 'onStored'>
  #running: Promise<void> | null = null
  #stopping = false
  #wake: (() => void) | null = null
  #lastFlush = 0
  #unsubscribe: () => void = () => {}

  constructor(options: WriterOptions) {
    this.#options = { batchBytes: 8 * 1024 * 1024, intervalMs: 1000, maxBackoffMs: 30_000, ...options }
  }

  start(): void {
    this.#unsubscribe = this.#options.spool.onDurable(() => {
      if (this.#options.spool.backlogBytes >= this.#options.batchBytes) this.#wake?.()
    })
    this.#running = this.#loop()
  }

  /** Stops after writing what is in the spool, or after `timeoutMs`; the rest stays on disk for the next start. */
  async stop(timeoutMs = 30_000): Promise<boolean> {
    this.#stopping = true
    this.#wake?.()
    const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, timeoutMs, 'timeout').unref())
    const outcome = await Promise.race([this.#running, timer])
    this.#unsubscribe()
    return outcome !== 'timeout'
  }

  /** Resolves once everything acknowledged so far is in ClickHouse (for tests and shutdown). */
  async flushed(timeoutMs = 30_000): Promise<void> {
    const target = this.#options.spool.durableEnd
    const deadline = Date.now() + timeoutMs
    while (this.#options.spool.committed < target) {
      if (Date.now() > deadline) throw new Error('the spool did not drain in time')
      this.#wake?.()
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.#wake = done
    }).then(() => {
      this.#wake = null
    })
  }

  async #loop(): Promise<void> {
    const { spool, batchBytes, intervalMs, maxBackoffMs } = this.#options
    let backoff = 100
    for (;;) {
      const pending = spool.pending
      const backlog = spool.backlogBytes
      if (!pending && backlog === 0) {
        if (this.#stopping) return
        await this.#sleep(intervalMs)
        continue
      }
      // Let a small backlog gather into a larger insert, unless shutting down.
      const wait = this.#lastFlush + intervalMs - Date.now()
      if (!pending && !this.#stopping && backlog < batchBytes && wait > 0) {
        await this.#sleep(wait)
        continue
      }
      try {
        await this.#writeNext()
        backoff = 100
      } catch (error) {
        this.#options.onError?.(error)
        if (this.#stopping) return
        await this.#sleep(backoff)
        backoff = Math.min(backoff * 2, maxBackoffMs)
      }
    }
  }

  async #writeNext(): Promise<void> {
    const { spool, batchBytes } = this.#options
    const pending = spool.pending
    // A batch recorded before a crash or a failure is rebuilt with exactly its old boundaries.
    const read = await spool.read(pending ? pending.start : spool.committed, pending ? pending.end - pending.start : batchBytes)
    if (!read) {
      if (pending) throw new Error(`spool batch ${pending.start}-${pending.end} is not in the spool`)
      return
    }
    if (pending && read.batch.end !== pending.end) throw new Error(`spool batch ${pending.start}-${pending.end} could not be read back whole`)
    if (!pending) await spool.beginBatch(read.batch)
    const started = process.hrtime.bigint()
    const token = batchToken(spool.id, read.batch)
    const counts = { events: 0, sessions: 0 }
    const parts = splitBatch(read.data)
    const tokens = partTokens(parts, token)
    for (const [index, part] of parts.entries()) {
      await this.#options.insertRows(part.table, part.columns, part.rows, tokens[index]!)
      counts[part.table as keyof typeof counts] += part.count
      this.#options.onStored?.(part)
    }
    await spool.commit(read.batch.end)
    this.#lastFlush = Date.now()
    this.#options.onFlush?.(Number(process.hrtime.bigint() - started) / 1e9, counts)
  }
}
