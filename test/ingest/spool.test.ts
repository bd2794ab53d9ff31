// The durable spool on its own: group commit, whole-line reads, the write-ahead batch record,
// recovery from a torn tail, segment rotation and deletion, and the size bound.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Spool, SpoolFullError } from '../../server/ingest/spool.ts'

const dirs: string[] = []
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'candor-spool-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** Lines of one fixed length whatever `i` is (below 1000), so offsets are easy to state. */
const line = (i: number, tag = 'E') => `${tag}{"n":${i},"pad":"${'x'.repeat(40 - String(i).length)}"}\n`

describe('Spool', () => {
  it('acknowledges appends once synced, in groups', async () => {
    const syncs: number[] = []
    const spool = await Spool.open({ dir: freshDir(), maxBytes: 1 << 30, onSync: (s) => syncs.push(s) })
    await Promise.all(Array.from({ length: 200 }, (_, i) => spool.append(line(i))))
    expect(spool.durableEnd).toBe(200 * line(0).length)
    expect(spool.backlogBytes).toBe(spool.durableEnd)
    // Appends made while a sync runs share the next one: far fewer syncs than appends.
    expect(syncs.length).toBeLessThan(20)
    await spool.close()
  })

  it('reads whole lines only, and records batches before and after they are written', async () => {
    const dir = freshDir()
    const spool = await Spool.open({ dir, maxBytes: 1 << 30 })
    for (let i = 0; i < 10; i++) await spool.append(line(i))
    const size = line(0).length
    const read = await spool.read(0, size * 3 + 5)
    expect(read!.batch).toEqual({ start: 0, end: size * 3 })
    expect(read!.data.toString()).toBe(line(0) + line(1) + line(2))
    await spool.beginBatch(read!.batch)
    await spool.close()

    // A restart finds the batch that was being written, to replay it with the same boundaries.
    const reopened = await Spool.open({ dir, maxBytes: 1 << 30 })
    expect(reopened.pending).toEqual({ start: 0, end: size * 3 })
    expect(reopened.committed).toBe(0)
    await reopened.commit(size * 3)
    expect(reopened.pending).toBeNull()
    expect(reopened.backlogBytes).toBe(size * 7)
    const next = await reopened.read(reopened.committed, 1 << 20)
    expect(next!.data.toString().split('\n').filter(Boolean)).toHaveLength(7)
    await reopened.close()
  })

  it('cuts off a torn tail left by a crash and keeps every whole line', async () => {
    const dir = freshDir()
    const spool = await Spool.open({ dir, maxBytes: 1 << 30 })
    for (let i = 0; i < 5; i++) await spool.append(line(i))
    const end = spool.durableEnd
    await spool.close()
    const segment = readdirSync(dir).find((name) => name.endsWith('.spool'))!
    appendFileSync(join(dir, segment), 'E{"n":5,"pad":"xx') // no newline: the write was cut short
    appendFileSync(join(dir, segment), '\nS{garbage}\n')

    const reopened = await Spool.open({ dir, maxBytes: 1 << 30 })
    expect(reopened.durableEnd).toBe(end)
    expect(readFileSync(join(dir, segment)).length).toBe(end)
    await reopened.append(line(9))
    const all = await reopened.read(0, 1 << 20)
    expect(all!.data.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l.slice(1)).n)).toEqual([0, 1, 2, 3, 4])
    const rest = await reopened.read(all!.batch.end, 1 << 20)
    expect(JSON.parse(rest!.data.toString().slice(1)).n).toBe(9)
    await reopened.close()
  })

  it('cuts off at a hole left by a group that never landed, even when a later one did', async () => {
    const dir = freshDir()
    const spool = await Spool.open({ dir, maxBytes: 1 << 30 })
    for (let i = 0; i < 3; i++) await spool.append(line(i))
    const end = spool.durableEnd
    await spool.close()
    const segment = readdirSync(dir).find((name) => name.endsWith('.spool'))!
    // Group N was lost (zeros where its bytes should be); group N+1 reached the disk after it.
    appendFileSync(join(dir, segment), Buffer.alloc(line(0).length))
    appendFileSync(join(dir, segment), line(4))
    const reopened = await Spool.open({ dir, maxBytes: 1 << 30 })
    expect(reopened.durableEnd).toBe(end)
    await reopened.close()
  })

  it('writes groups in flight together without losing or misplacing a line', async () => {
    const spool = await Spool.open({ dir: freshDir(), maxBytes: 1 << 30 })
    const appends = Array.from({ length: 300 }, (_, i) =>
      new Promise<void>((resolve) => setTimeout(resolve, i % 7)).then(() => spool.append(line(i))),
    )
    await Promise.all(appends)
    const all = await spool.read(0, 1 << 20)
    const stored = all!.data.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l.slice(1)).n as number)
    expect(stored.sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i))
    expect(all!.batch.end).toBe(spool.durableEnd)
    await spool.close()
  })

  it('rotates segments, reads across them, and deletes drained ones', async () => {
    const dir = freshDir()
    const size = line(0).length
    const spool = await Spool.open({ dir, maxBytes: 1 << 30, segmentBytes: size * 4 })
    for (let i = 0; i < 12; i++) await spool.append(line(i))
    expect(readdirSync(dir).filter((name) => name.endsWith('.spool')).length).toBe(3)
    // A read never crosses a segment boundary.
    const first = await spool.read(0, 1 << 20)
    expect(first!.batch.end).toBe(size * 4)
    await spool.commit(first!.batch.end)
    const second = await spool.read(spool.committed, 1 << 20)
    expect(second!.batch).toEqual({ start: size * 4, end: size * 8 })
    await spool.commit(second!.batch.end)
    expect(readdirSync(dir).filter((name) => name.endsWith('.spool'))).toEqual([
      `${String(size * 8).padStart(16, '0')}.spool`,
    ])
    await spool.close()
  })

  it('refuses appends past maxBytes until the backlog is written', async () => {
    const spool = await Spool.open({ dir: freshDir(), maxBytes: line(0).length * 3 })
    for (let i = 0; i < 3; i++) await spool.append(line(i))
    expect(spool.hasRoom()).toBe(false)
    await expect(spool.append(line(3))).rejects.toBeInstanceOf(SpoolFullError)
    await spool.commit(spool.durableEnd)
    expect(spool.hasRoom()).toBe(true)
    await spool.append(line(4))
    await spool.close()
  })

  it('refuses appends after it was sealed for shutdown', async () => {
    const spool = await Spool.open({ dir: freshDir(), maxBytes: 1 << 20 })
    const queued = spool.append(line(0))
    await spool.seal()
    await queued
    await expect(spool.append(line(1))).rejects.toMatchObject({ statusCode: 503 })
    await spool.close()
  })
})
