// The durable spool between acknowledgement and ClickHouse. Appends are group-committed: every
// append that arrives while a write is under way joins the next group, so a durable
// acknowledgement costs one disk sync per group, not per event. Segments are opened with O_DSYNC:
// a write returns once its data is on disk, in one trip to the thread pool instead of write then
// fdatasync (each trip also waits for the busy event loop to pick up its completion).
//
// Layout of DATA_DIR/spool: segment files named by the global byte offset where they start
// (<offset>.spool, 16 digits), holding whole lines; and `checkpoint`, the offset up to which
// ClickHouse has the data plus the batch being written (a write-ahead record of its boundaries,
// so a replay rebuilds the very same batch and its deduplication token).
import { constants, mkdirSync, readdirSync } from 'node:fs'
import { open, readFile, rename, rm, stat, truncate, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { unavailable } from '../errors.ts'

export interface Batch {
  readonly start: number
  readonly end: number
}

interface Checkpoint {
  committed: number
  pending: Batch | null
}

interface Segment {
  readonly base: number
  size: number
  reader?: FileHandle
}

export class SpoolFullError extends Error {
  constructor() {
    super('the spool is full')
  }
}

const SEGMENT_NAME = /^(\d{16})\.spool$/
/** Positional writes (groups may be in flight together) that return once their data is on disk. */
const WRITE_DURABLY = constants.O_WRONLY | constants.O_CREAT | constants.O_DSYNC
const MAX_GROUPS_IN_FLIGHT = 2

interface Group {
  /** Spool offset just past this group's bytes. */
  end: number
  waiters: Array<{ resolve: () => void; reject: (error: Error) => void }>
  landed: boolean
  started: bigint
}

async function writeFully(file: FileHandle, data: Buffer, position: number): Promise<void> {
  let written = 0
  while (written < data.length) {
    const { bytesWritten } = await file.write(data, written, data.length - written, position + written)
    written += bytesWritten
  }
}
const segmentName = (base: number) => `${String(base).padStart(16, '0')}.spool`

/** A line is whole when it is a tagged JSON object; anything else at the tail is a torn write. */
function wholeLine(line: string): boolean {
  if (line.length < 3 || (line[0] !== 'E' && line[0] !== 'S')) return false
  try {
    JSON.parse(line.slice(1))
    return true
  } catch {
    return false
  }
}

export interface SpoolOptions {
  dir: string
  maxBytes: number
  segmentBytes?: number
  /** Called with the seconds each group commit took. */
  onSync?: (seconds: number) => void
}

export class Spool {
  readonly #dir: string
  readonly #maxBytes: number
  readonly #segmentBytes: number
  readonly #onSync: (seconds: number) => void
  readonly #segments: Segment[]
  #checkpoint: Checkpoint
  #writer: FileHandle | undefined
  #durableEnd: number
  #queue: string[] = []
  #queuedBytes = 0
  #waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = []
  #flushing: Promise<void> | null = null
  /** Groups written or being written, oldest first, not yet acknowledged. */
  #groups: Group[] = []
  #inFlight = 0
  #slotFree: (() => void) | null = null
  #failure: Error | null = null
  #closed = false
  readonly #listeners = new Set<() => void>()

  private constructor(options: SpoolOptions, segments: Segment[], checkpoint: Checkpoint, durableEnd: number) {
    this.#dir = options.dir
    this.#maxBytes = options.maxBytes
    this.#segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024
    this.#onSync = options.onSync ?? (() => {})
    this.#segments = segments
    this.#checkpoint = checkpoint
    this.#durableEnd = durableEnd
  }

  /** Opens the spool, cutting off a torn tail left by a crash (it was never acknowledged). */
  static async open(options: SpoolOptions): Promise<Spool> {
    mkdirSync(options.dir, { recursive: true })
    const checkpoint = await readCheckpoint(options.dir)
    const segments: Segment[] = []
    for (const name of readdirSync(options.dir).sort()) {
      const match = SEGMENT_NAME.exec(name)
      if (match) segments.push({ base: Number(match[1]), size: (await stat(join(options.dir, name))).size })
    }
    const last = segments.at(-1)
    if (last) last.size = await validTail(join(options.dir, segmentName(last.base)), last, checkpoint.committed)
    const durableEnd = last ? last.base + last.size : checkpoint.committed
    if (checkpoint.committed > durableEnd) {
      throw new Error(`spool checkpoint ${checkpoint.committed} is past the end of the spool (${durableEnd}) in ${options.dir}`)
    }
    // A recorded batch past the end can only follow a lost disk write; batch afresh from `committed`.
    if (checkpoint.pending && checkpoint.pending.end > durableEnd) checkpoint.pending = null
    const spool = new Spool(options, segments, checkpoint, durableEnd)
    await spool.#dropDrainedSegments()
    return spool
  }

  get committed(): number {
    return this.#checkpoint.committed
  }

  get durableEnd(): number {
    return this.#durableEnd
  }

  /** The batch written to ClickHouse but not yet confirmed, to be replayed as it was. */
  get pending(): Batch | null {
    return this.#checkpoint.pending
  }

  /** Acknowledged bytes not yet in ClickHouse. */
  get backlogBytes(): number {
    return this.#durableEnd - this.#checkpoint.committed
  }

  /** False when an append now would go past SPOOL_MAX_BYTES, or the spool can no longer write. */
  hasRoom(): boolean {
    return this.#failure === null && !this.#closed && this.backlogBytes + this.#queuedBytes < this.#maxBytes
  }

  onDurable(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Resolves once `lines` are on disk. */
  append(lines: string): Promise<void> {
    if (this.#failure) return Promise.reject(unavailable('the event spool cannot write to disk', 30))
    if (this.#closed) return Promise.reject(unavailable('the server is shutting down', 5))
    if (!this.hasRoom()) return Promise.reject(new SpoolFullError())
    this.#queue.push(lines)
    this.#queuedBytes += Buffer.byteLength(lines)
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }))
    this.#flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#flush())
    return done
  }

  /**
   * Writes queued appends as groups at known positions, up to two groups in flight: while one
   * write waits for the disk or for the busy event loop to notice it finished, the next group
   * is already on its way. Groups are acknowledged strictly in order, so what is acknowledged
   * is always a prefix of the file (a crash between them leaves a hole after it, which the next
   * start cuts off as a torn tail).
   */
  async #flush(): Promise<void> {
    while (this.#queue.length > 0 && this.#failure === null) {
      if (this.#inFlight >= MAX_GROUPS_IN_FLIGHT) {
        await new Promise<void>((resolve) => (this.#slotFree = resolve))
        continue
      }
      const data = Buffer.from(this.#queue.join(''))
      const group: Group = { end: 0, waiters: this.#waiters, landed: false, started: process.hrtime.bigint() }
      this.#queue = []
      this.#waiters = []
      this.#queuedBytes = 0
      let file: FileHandle
      let position: number
      try {
        ;({ file, position } = await this.#place(data.length))
      } catch (error) {
        this.#groups.push(group)
        this.#fail(error as Error)
        break
      }
      group.end = this.#segments.at(-1)!.base + position + data.length
      this.#groups.push(group)
      this.#inFlight++
      void writeFully(file, data, position).then(
        () => {
          group.landed = true
          this.#settle()
        },
        (error: Error) => this.#fail(error),
      ).finally(() => {
        this.#inFlight--
        this.#slotFree?.()
        this.#slotFree = null
      })
    }
    this.#flushing = null
  }

  /** Where the next group goes: the active segment, or a new one once the writes to the old one landed. */
  async #place(length: number): Promise<{ file: FileHandle; position: number }> {
    let segment = this.#segments.at(-1)
    if (!this.#writer || !segment || segment.size + length > this.#segmentBytes) {
      while (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#slotFree = resolve))
      if (this.#failure) throw this.#failure
      await this.#writer?.close()
      // A new segment on every start too: the previous process may have left its tail torn.
      const base = this.#durableEnd
      this.#writer = await open(join(this.#dir, segmentName(base)), WRITE_DURABLY)
      // An empty segment left at this very offset by the previous process is simply reused.
      if (segment?.base !== base) this.#segments.push({ base, size: 0 })
      await syncDirectory(this.#dir)
      segment = this.#segments.at(-1)!
    }
    const position = segment.size
    segment.size += length
    return { file: this.#writer, position }
  }

  /** Acknowledges the groups at the head that have landed, in order. */
  #settle(): void {
    while (this.#groups[0]?.landed) {
      const group = this.#groups.shift()!
      this.#durableEnd = group.end
      this.#onSync(Number(process.hrtime.bigint() - group.started) / 1e9)
      for (const waiter of group.waiters) waiter.resolve()
    }
    for (const listener of this.#listeners) listener()
  }

  /** After a failed write nothing from it on can be acknowledged honestly. */
  #fail(error: Error): void {
    this.#failure ??= error
    const refusal = unavailable('the event spool cannot write to disk', 30)
    const failed = this.#groups.findIndex((group) => !group.landed)
    for (const group of this.#groups.splice(Math.max(failed, 0))) for (const waiter of group.waiters) waiter.reject(refusal)
    for (const waiter of this.#waiters) waiter.reject(refusal)
    this.#queue = []
    this.#waiters = []
    this.#queuedBytes = 0
  }

  /**
   * Whole lines from `from` up to `maxBytes`, within one segment, never past what is durable.
   * Returns null when there is nothing to read.
   */
  async read(from: number, maxBytes: number): Promise<{ batch: Batch; data: Buffer } | null> {
    if (from >= this.#durableEnd) return null
    const segment = this.#segments.findLast((candidate) => candidate.base <= from)
    if (!segment) throw new Error(`spool offset ${from} is in no segment`)
    const available = Math.min(segment.base + segment.size, this.#durableEnd) - from
    if (available <= 0) return null
    segment.reader ??= await open(join(this.#dir, segmentName(segment.base)), 'r')
    const buffer = Buffer.allocUnsafe(Math.min(available, maxBytes))
    const { bytesRead } = await segment.reader.read(buffer, 0, buffer.length, from - segment.base)
    const end = buffer.lastIndexOf(0x0a, bytesRead - 1) + 1
    if (end === 0) throw new Error(`a spool line at ${from} is longer than ${maxBytes} bytes`)
    return { batch: { start: from, end: from + end }, data: buffer.subarray(0, end) }
  }

  /** Records the batch about to be written, before writing it (write-ahead). */
  async beginBatch(batch: Batch): Promise<void> {
    await this.#saveCheckpoint({ committed: this.#checkpoint.committed, pending: batch })
  }

  /** Records that ClickHouse holds everything before `offset`, and deletes drained segments. */
  async commit(offset: number): Promise<void> {
    await this.#saveCheckpoint({ committed: offset, pending: null })
    await this.#dropDrainedSegments()
  }

  async #saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
    const path = join(this.#dir, 'checkpoint')
    const temporary = `${path}.tmp`
    const file = await open(temporary, 'w')
    try {
      await file.writeFile(JSON.stringify(checkpoint))
      await file.datasync()
    } finally {
      await file.close()
    }
    await rename(temporary, path)
    await syncDirectory(this.#dir)
    this.#checkpoint = checkpoint
  }

  async #dropDrainedSegments(): Promise<void> {
    while (this.#segments.length > 0) {
      const first = this.#segments[0]!
      const appending = this.#writer !== undefined && this.#segments.length === 1
      if (appending || first.base + first.size > this.#checkpoint.committed) break
      this.#segments.shift()
      await first.reader?.close()
      await rm(join(this.#dir, segmentName(first.base)), { force: true })
    }
  }

  /** Takes no more appends: waits for the queued ones to be durable and closes the append file. */
  async seal(): Promise<void> {
    this.#closed = true
    while (this.#flushing) await this.#flushing
    while (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#slotFree = resolve))
    await this.#writer?.close()
    this.#writer = undefined
  }

  async close(): Promise<void> {
    await this.seal()
    for (const segment of this.#segments) {
      await segment.reader?.close()
      segment.reader = undefined
    }
  }
}

async function readCheckpoint(dir: string): Promise<Checkpoint> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, 'checkpoint'), 'utf8')) as Partial<Checkpoint>
    if (typeof parsed.committed === 'number') return { committed: parsed.committed, pending: parsed.pending ?? null }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`unreadable spool checkpoint in ${dir}: ${String(error)}`)
  }
  // No checkpoint yet: everything in the spool is still to be written.
  const first = readdirSync(dir).filter((name) => SEGMENT_NAME.test(name)).sort()[0]
  return { committed: first ? Number(SEGMENT_NAME.exec(first)![1]) : 0, pending: null }
}

/** The length of the valid prefix of the last segment; a torn tail is truncated away. */
async function validTail(path: string, segment: Segment, committed: number): Promise<number> {
  if (segment.size === 0) return 0
  const content = await readFile(path)
  const from = Math.max(0, committed - segment.base)
  let valid = from
  let cursor = from
  while (cursor < content.length) {
    const newline = content.indexOf(0x0a, cursor)
    if (newline === -1 || !wholeLine(content.toString('utf8', cursor, newline))) break
    cursor = newline + 1
    valid = cursor
  }
  if (valid < content.length) await truncate(path, valid)
  return valid
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } catch {
    // Some filesystems refuse fsync on a directory; the data files themselves are synced.
  } finally {
    await handle.close()
  }
}
