// The DATA_DIR lock: one holder at a time; a lock left by a dead process, or by an earlier run
// that had this very pid (a container restarted), is taken over.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { acquireLock, DataDirLockedError, readLock } from '../../server/db/lock.ts'

const dirs: string[] = []
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'candor-lock-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

it('is held by one process, publishes where it serves, and goes on release', () => {
  const dir = freshDir()
  const lock = acquireLock(dir)
  lock.publish('http://127.0.0.1:8080')
  expect(JSON.parse(readFileSync(join(dir, 'candor.lock'), 'utf8'))).toEqual({ pid: process.pid, url: 'http://127.0.0.1:8080', token: lock.token })
  lock.release()
  expect(existsSync(join(dir, 'candor.lock'))).toBe(false)
})

it('refuses a directory held by another live process, naming it', async () => {
  const dir = freshDir()
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
  try {
    writeFileSync(join(dir, 'candor.lock'), JSON.stringify({ pid: other.pid, url: 'http://127.0.0.1:9', token: 't' }))
    expect(readLock(dir)).toMatchObject({ pid: other.pid })
    expect(() => acquireLock(dir)).toThrow(DataDirLockedError)
    expect(() => acquireLock(dir)).toThrow(new RegExp(`in use by process ${other.pid}`))
  } finally {
    other.kill('SIGKILL')
  }
})

it('takes over a lock left by a dead process or by an earlier run with this pid', () => {
  for (const pid of [2 ** 22 + 7, process.pid]) {
    const dir = freshDir()
    writeFileSync(join(dir, 'candor.lock'), JSON.stringify({ pid, token: 'stale' }))
    expect(readLock(dir)).toBeNull()
    const lock = acquireLock(dir)
    expect(lock.token).not.toBe('stale')
    lock.release()
  }
})
