// The durable spool between acknowledgement and ClickHouse. Appends are group-committed: every
// append that arrives while a write is under way joins the next group, so a durable
// acknowledgement costs one disk sync per group, not per event. Segments are opened with O_DSYNC:
// a write returns once its data is on disk, in one trip to the thread pool instead of write then
// fdatasync (each trip also waits for the busy event loop to pick up its completion).
// The files and their recovery are described in spool-files.ts.
import { constants, mkdirSync } from 'node:fs'
import { open, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { unavailable } from '../errors.ts'
import {
  readCheckpoint,
  recoverSegments,
  saveCheckpoint,
  sealGroup,
  segmentName,
  syncDirectory,
  type Batch,
  type Checkpoint,
} from './spool-files.ts'

export type { Batch } from './spool-files.ts'

interface Segment {
  readonly base: number
  /** Bytes placed in the file (written, or being written). */
  size: number
  reader?: FileHandle
}

interface Waiter {
  resolve: () => void
  reject: (error: Error) => void
}

interface Group {
  /** Spool offset just past this group's bytes. */
  end: number
  waiters: Waiter[]
  landed: boolean
  started: bigint
}

export class SpoolFullError extends Error {
  constructor() {
    super('the spool is full')
  }
}

/** Positional writes (groups may be in flight together) that return once their data is on disk. */
const WRITE_DURABLY = constants.O_WRONLY | constants.O_CREAT | constants.O_DSYNC
const MAX_GROUPS_IN_FLIGHT = 2

async function writeFully(file: FileHandle, data: Buffer, position: number): Promise<void> {
  let written = 0
  while (written < data.length) {
    const { bytesWritten } = await file.write(data, written, data.length - written, position + written)
    written += bytesWritten
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
  #waiters: Waiter[] = []
  #flushing: Promise<void> | null = null
  /** Groups written or being written, oldest first, not yet acknowledged. */
  #groups: Group[] = []
  #inFlight = 0
  #slotFree: (() => void) | null = null
  #failure: Error | null = null
  #closed = false
  #readersClosed = false
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

  /** Opens the spool, cutting off what a crash left half-written (it was never acknowledged). */
  static async open(options: SpoolOptions): Promise<Spool> {
    mkdirSync(options.dir, { recursive: true })
    const segments = await recoverSegments(options.dir)
    let checkpoint = await readCheckpoint(options.dir, segments)
    const last = segments.at(-1)
    const durableEnd = last ? last.base + last.size : checkpoint.committed
    if (checkpoint.committed > durableEnd) {
      throw new Error(`spool checkpoint ${checkpoint.committed} is past the end of the spool (${durableEnd}) in ${options.dir}`)
    }
    // A recorded batch past the end can only follow a lost disk write; batch afresh from `committed`.
    if (checkpoint.pending && checkpoint.pending.end > durableEnd) checkpoint = { ...checkpoint, pending: null }
    const spool = new Spool(options, segments.map((segment) => ({ ...segment })), checkpoint, durableEnd)
    await spool.#dropDrainedSegments()
    return spool
  }

  /** Random per spool; part of every deduplication token. */
  get id(): string {
    return this.#checkpoint.id
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

  /** Set once a write failed: nothing more can be acknowledged until a restart. */
  get failed(): boolean {
    return this.#failure !== null
  }

  /** Set once sealed for shutdown. */
  get sealed(): boolean {
    return this.#closed
  }

  /** Whether appends are taken: not failed, not sealed, and the backlog (queued appends included) under SPOOL_MAX_BYTES. */
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

  #nextSlot(): Promise<void> {
    return new Promise<void>((resolve) => (this.#slotFree = resolve))
  }

  /**
   * Writes queued appends as groups at known positions, up to two groups in flight: while one
   * write waits for the disk or for the busy event loop to notice it finished, the next group
   * is already on its way. Groups are acknowledged strictly in order, so what is acknowledged
   * is always a prefix of the file.
   */
  async #flush(): Promise<void> {
    while (this.#queue.length > 0 && this.#failure === null) {
      if (this.#inFlight >= MAX_GROUPS_IN_FLIGHT) {
        await this.#nextSlot()
        continue
      }
      const data = sealGroup(this.#queue.join(''))
      const group: Group = { end: 0, waiters: this.#waiters, landed: false, started: process.hrtime.bigint() }
      this.#queue = []
      this.#waiters = []
      this.#queuedBytes = 0
      this.#groups.push(group)
      let placed: { file: FileHandle; position: number }
      try {
        placed = await this.#place(data.length)
      } catch (error) {
        this.#fail(error as Error)
        break
      }
      group.end = this.#segments.at(-1)!.base + placed.position + data.length
      this.#inFlight++
      void writeFully(placed.file, data, placed.position)
        .then(
          () => {
            group.landed = true
            this.#settle()
          },
          (error: Error) => this.#fail(error),
        )
        .finally(() => {
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
      while (this.#inFlight > 0) await this.#nextSlot()
      if (this.#failure) throw this.#failure
      await this.#writer?.close()
      // A new segment on every start too: a crash may have cut the previous one short.
      const base = this.#durableEnd
      this.#writer = await open(join(this.#dir, segmentName(base)), WRITE_DURABLY)
      // An empty segment left at this very offset by the previous process is simply reused.
      if (segment?.base !== base) this.#segments.push({ base, size: 0 })
      await syncDirectory(this.#dir)
      segment = this.#segments.at(-1)!
    }
    if (this.#failure) throw this.#failure
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

  /**
   * After a failed write nothing from it on can be acknowledged honestly: its waiters and every
   * later one are refused, and once the writes in flight are over the file is cut back to what was
   * acknowledged, so that bytes of a refused group can never be replayed.
   */
  #fail(error: Error): void {
    if (this.#failure === null) {
      this.#failure = error
      void this.#cutBackAfterFailure()
    }
    const refusal = unavailable('the event spool cannot write to disk', 30)
    for (const group of this.#groups.splice(0)) for (const waiter of group.waiters) waiter.reject(refusal)
    for (const waiter of this.#waiters) waiter.reject(refusal)
    this.#queue = []
    this.#waiters = []
    this.#queuedBytes = 0
  }

  async #cutBackAfterFailure(): Promise<void> {
    while (this.#inFlight > 0) await this.#nextSlot()
    const segment = this.#segments.at(-1)
    if (!segment || !this.#writer) return
    segment.size = Math.max(0, this.#durableEnd - segment.base)
    await this.#writer.truncate(segment.size).catch(() => {
      // The disk refuses even that; the seals keep a half-written group from being replayed.
    })
  }

  /**
   * Whole lines from `from` up to `maxBytes`, within one segment, never past what is durable.
   * Returns null when there is nothing to read.
   */
  async read(from: number, maxBytes: number): Promise<{ batch: Batch; data: Buffer } | null> {
    if (this.#readersClosed) throw new Error('the spool is closed')
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
    await this.#saveCheckpoint({ ...this.#checkpoint, pending: batch })
  }

  /** Records that ClickHouse holds everything before `offset`, and deletes drained segments. */
  async commit(offset: number): Promise<void> {
    await this.#saveCheckpoint({ ...this.#checkpoint, committed: offset, pending: null })
    await this.#dropDrainedSegments()
  }

  async #saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
    await saveCheckpoint(this.#dir, checkpoint)
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
    while (this.#inFlight > 0) await this.#nextSlot()
    await this.#writer?.close()
    this.#writer = undefined
  }

  /** Seals, then closes the files; reads fail from now on. */
  async close(): Promise<void> {
    await this.seal()
    this.#readersClosed = true
    for (const segment of this.#segments) {
      await segment.reader?.close()
      segment.reader = undefined
    }
  }
}
