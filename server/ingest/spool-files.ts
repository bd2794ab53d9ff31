// The spool on disk. DATA_DIR/spool holds segment files named by the global byte offset where
// they start (<offset>.spool, 16 digits) and `checkpoint`: the spool's id, the offset up to which
// ClickHouse has the data, and the batch being written (a write-ahead record of its boundaries,
// so a replay rebuilds the very same batch and its deduplication token).
//
// A segment is a sequence of groups. A group is the lines of one group commit followed by its seal,
// `C<byte length>:<SHA-256 prefix>\n`. On start the last segment is kept up to its last whole,
// intact group: a group cut short, with a hole, or whose seal did not land was never acknowledged,
// and must go as a whole — its cancel row without its new row would undo a visit's stored state.
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { open, readFile, rename, stat, truncate } from 'node:fs/promises'
import { join } from 'node:path'

export interface Batch {
  readonly start: number
  readonly end: number
}

export interface Checkpoint {
  /** Random per spool, so two spools' batches never share a deduplication token. */
  readonly id: string
  readonly committed: number
  readonly pending: Batch | null
}

export interface SegmentFile {
  readonly base: number
  readonly size: number
}

const SEGMENT_NAME = /^(\d{16})\.spool$/
export const segmentName = (base: number) => `${String(base).padStart(16, '0')}.spool`
export const SEAL_TAG = 0x43 // 'C'
const NEWLINE = 0x0a

const digest = (data: Buffer) => createHash('sha256').update(data).digest('hex').slice(0, 16)

/** A group's lines followed by its seal. */
export function sealGroup(lines: string): Buffer {
  const data = Buffer.from(lines)
  return Buffer.concat([data, Buffer.from(`C${data.length}:${digest(data)}\n`)])
}

/** The length of the prefix of `content` made of whole, intact groups. */
export function intactLength(content: Buffer): number {
  let intact = 0
  let cursor = 0
  while (cursor < content.length) {
    const newline = content.indexOf(NEWLINE, cursor)
    if (newline === -1) break
    if (content[cursor] === SEAL_TAG) {
      const match = /^C(\d+):([0-9a-f]{16})$/.exec(content.toString('latin1', cursor, newline))
      const group = content.subarray(intact, cursor)
      if (!match || Number(match[1]) !== group.length || match[2] !== digest(group)) break
      intact = newline + 1
    }
    cursor = newline + 1
  }
  return intact
}

/** The segments in `dir`, with the last one cut back to its intact groups. */
export async function recoverSegments(dir: string): Promise<SegmentFile[]> {
  const segments: Array<{ base: number; size: number }> = []
  for (const name of readdirSync(dir).sort()) {
    const match = SEGMENT_NAME.exec(name)
    if (match) segments.push({ base: Number(match[1]), size: (await stat(join(dir, name))).size })
  }
  const last = segments.at(-1)
  if (last && last.size > 0) {
    const path = join(dir, segmentName(last.base))
    const intact = intactLength(await readFile(path))
    if (intact < last.size) await truncate(path, intact)
    last.size = intact
  }
  return segments
}

export async function readCheckpoint(dir: string, segments: readonly SegmentFile[]): Promise<Checkpoint> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, 'checkpoint'), 'utf8')) as Partial<Checkpoint>
    if (typeof parsed.committed === 'number' && typeof parsed.id === 'string') {
      return { id: parsed.id, committed: parsed.committed, pending: parsed.pending ?? null }
    }
    throw new Error('it lacks the id or the committed offset')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`unreadable spool checkpoint in ${dir}: ${String(error)}`)
  }
  // A new spool: everything in it is still to be written.
  const checkpoint = { id: randomBytes(8).toString('hex'), committed: segments[0]?.base ?? 0, pending: null }
  await saveCheckpoint(dir, checkpoint)
  return checkpoint
}

export async function saveCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  const path = join(dir, 'checkpoint')
  const temporary = `${path}.tmp`
  const file = await open(temporary, 'w')
  try {
    await file.writeFile(JSON.stringify(checkpoint))
    await file.datasync()
  } finally {
    await file.close()
  }
  await rename(temporary, path)
  await syncDirectory(dir)
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } catch {
    // Some filesystems refuse fsync on a directory; the data files themselves are synced.
  } finally {
    await handle.close()
  }
}
