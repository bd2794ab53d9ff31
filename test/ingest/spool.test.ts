// The durable spool on its own: group commit, whole-line reads, the write-ahead batch record,
// recovery of whole sealed groups after a crash, segment rotation and deletion, and the size bound.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { intactLength, sealGroup } from '../../server/ingest/spool-files.ts'
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
const line = (i: number, tag = 'E') => `${tag}[${i},"${'x'.repeat(40 - String(i).length)}"]\n`
/** Bytes of a group holding one line: the line and its seal. */
const GROUP = sealGroup(line(0)).length
/** The numbers of the rows in spool bytes (group seals are not rows). */
const rows = (data: Buffer) =>
  data
    .toString()
    .split('\n')
    .filter((text) => text !== '' && !text.startsWith('C'))
    .map((text) => (JSON.parse(text.slice(1)) as [number])[0])
const segmentOf = (dir: string) => join(dir, readdirSync(dir).find((name) => name.endsWith('.spool'))!)

describe('Spool', () => {
  it('acknowledges appends once on disk, in groups', async () => {
    const syncs: number[] = []
    const spool = await Spool.open({ dir: freshDir(), maxBytes: 1 << 30, onSync: (s) => syncs.push(s) })
    await Promise.all(Array.from({ length: 200 }, (_, i) => spool.append(line(i))))
    const all = await spool.read(0, 1 << 20)
    expect(rows(all!.data)).toEqual(Array.from({ length: 200 }, (_, i) => i))
    expect(all!.batch.end).toBe(spool.durableEnd)
    expect(spool.backlogBytes).toBe(spool.durableEnd)
    // Appends made while a write is under way share the next one: far fewer writes than appends.
    expect(syncs.length).toBeLessThan(20)
    await spool.close()
  })

  it('reads whole lines only, and records batches before and after they are written', async () => {
    const dir = freshDir()
    const spool = await Spool.open({ dir, maxBytes: 1 << 30 })
    for (let i = 0; i < 10; i++) await spool.append(line(i))
    const read = await spool.read(0, GROUP * 3 + 5)
    expect(read!.batch).toEqual({ start: 0, end: GROUP * 3 })
    expect(rows(read!.data)).toEqual([0, 1, 2])
    await spool.beginBatch(read!.batch)
    const id = spool.id
    await spool.close()

    // A restart finds the batch that was being written, to replay it with the same boundaries.
    const reopened = await Spool.open({ dir, maxBytes: 1 << 30 })
    expect(reopened.id).toBe(id)
    expect(reopened.pending).toEqual({ start: 0, end: GROUP * 3 })
    expect(reopened.committed).toBe(0)
    await reopened.commit(GROUP * 3)
    expect(reopened.pending).toBeNull()
    expect(reopened.backlogBytes).toBe(GROUP * 7)
    expect(rows((await reopened.read(reopened.committed, 1 << 20))!.data)).toEqual([3, 4, 5, 6, 7, 8, 9])
    await reopened.close()
  })

  it('gives every spool its own id', async () => {
    const [a, b] = await Promise.all([Spool.open({ dir: freshDir(), maxBytes: 1 << 20 }), Spool.open({ dir: freshDir(), maxBytes: 1 << 20 })])
    expect(a.id).toMatch(/^[0-9a-f]{16}$/)
    expect(a.id).not.toBe(b.id)
    await Promise.all([a.close(), b.close()])
  })

  describe('after a crash, keeps the whole groups and cuts off the rest', () => {
    async function crashedWith(tail: (segment: string) => void): Promise<{ dir: string; end: number }> {
      const dir = freshDir()
      const spool = await Spool.open({ dir, maxBytes: 1 << 30 })
      for (let i = 0; i < 5; i++) await spool.append(line(i))
      const end = spool.durableEnd
      await spool.close()
      tail(segmentOf(dir))
      return { dir, end }
    }

    it.each([
      ['a line cut short', (segment: string) => appendFileSync(segment, 'E[5,"xx')],
      ['whole lines whose seal never landed', (segment: string) => appendFileSync(segment, line(5, 'S') + line(6) + line(7, 'S'))],
      ['a seal that does not match its group', (segment: string) => appendFileSync(segment, line(5) + 'C999:0123456789abcdef\n')],
      ['a hole where a group should be, before one that landed', (segment: string) => {
        appendFileSync(segment, Buffer.alloc(GROUP))
        appendFileSync(segment, sealGroup(line(6)))
      }],
    ])('%s', async (_case, tail) => {
      const { dir, end } = await crashedWith(tail)
      const reopened = await Spool.open({ dir, maxBytes: 1 << 30 })
      expect(reopened.durableEnd).toBe(end)
      expect(readFileSync(segmentOf(dir)).length).toBe(end)
      await reopened.append(line(9))
      expect(rows((await reopened.read(0, 1 << 20))!.data)).toEqual([0, 1, 2, 3, 4])
      await reopened.close()
    })

    it('a group damaged in the middle goes with everything after it', async () => {
      const { dir } = await crashedWith((segment) => {
        const bytes = readFileSync(segment)
        bytes[GROUP * 2 + 3] = 0x20 // inside the third group's line
        writeFileSync(segment, bytes)
      })
      const reopened = await Spool.open({ dir, maxBytes: 1 << 30 })
      expect(reopened.durableEnd).toBe(GROUP * 2)
      expect(rows((await reopened.read(0, 1 << 20))!.data)).toEqual([0, 1])
      await reopened.close()
    })
  })

  it('writes groups in flight together without losing or misplacing a line', async () => {
    const dir = freshDir()
    const spool = await Spool.open({ dir, maxBytes: 1 << 30 })
    const appends = Array.from({ length: 300 }, (_, i) =>
      new Promise<void>((resolve) => setTimeout(resolve, i % 7)).then(() => spool.append(line(i))),
    )
    await Promise.all(appends)
    const all = await spool.read(0, 1 << 20)
    expect(rows(all!.data).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i))
    expect(all!.batch.end).toBe(spool.durableEnd)
    // Every group is whole and sealed where it was placed.
    expect(intactLength(readFileSync(segmentOf(dir)))).toBe(spool.durableEnd)
    await spool.close()
  })

  it('rotates segments, reads across them, and deletes drained ones', async () => {
    const dir = freshDir()
    const spool = await Spool.open({ dir, maxBytes: 1 << 30, segmentBytes: GROUP * 4 })
    for (let i = 0; i < 12; i++) await spool.append(line(i))
    expect(readdirSync(dir).filter((name) => name.endsWith('.spool')).length).toBe(3)
    // A read never crosses a segment boundary.
    const first = await spool.read(0, 1 << 20)
    expect(first!.batch.end).toBe(GROUP * 4)
    await spool.commit(first!.batch.end)
    const second = await spool.read(spool.committed, 1 << 20)
    expect(second!.batch).toEqual({ start: GROUP * 4, end: GROUP * 8 })
    await spool.commit(second!.batch.end)
    expect(readdirSync(dir).filter((name) => name.endsWith('.spool'))).toEqual([`${String(GROUP * 8).padStart(16, '0')}.spool`])
    await spool.close()
  })

  it('refuses appends past maxBytes until the backlog is written', async () => {
    const spool = await Spool.open({ dir: freshDir(), maxBytes: GROUP * 3 })
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
