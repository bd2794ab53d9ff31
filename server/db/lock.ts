// The embedded databases belong to one process: whoever opens them holds DATA_DIR/candor.lock.
// The file also tells the CLI where the running server listens and the token it accepts, so the
// CLI works through the server instead of opening the databases beside it.
import { randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export interface LockInfo {
  readonly pid: number
  /** Where the holder listens, once it does (a server); absent for the CLI. */
  readonly url?: string
  /** Bearer token the holder accepts on its operator routes. */
  readonly token?: string
}

export interface DataDirLock {
  readonly token: string
  /** Records where the server now listens. */
  publish(url: string): void
  release(): void
}

export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string, readonly holder: LockInfo) {
    super(
      `${dataDir} is in use by process ${holder.pid}${holder.url ? ` (serving ${holder.url})` : ''}; ` +
        'stop it first, or use the CLI, which works through a running server',
    )
    this.name = 'DataDirLockedError'
  }
}

const lockPath = (dataDir: string) => join(dataDir, 'candor.lock')

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The current holder, or null when the directory is free (a stale lock from a dead process counts as free). */
export function readLock(dataDir: string): LockInfo | null {
  let info: LockInfo
  try {
    info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockInfo
  } catch {
    return null
  }
  // Our own pid in the file can only be a stale lock from an earlier run (a container's server
  // gets the same pid on every start); a lock this process holds is never opened twice.
  return typeof info.pid === 'number' && info.pid !== process.pid && alive(info.pid) ? info : null
}

export function acquireLock(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true })
  const path = lockPath(dataDir)
  const token = randomBytes(24).toString('base64url')
  const write = (info: LockInfo) => {
    // Replace atomically so a reader never sees half a file.
    const temporary = `${path}.${process.pid}.tmp`
    writeFileSync(temporary, JSON.stringify(info), { mode: 0o600 })
    renameSync(temporary, path)
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600)
      writeSync(fd, JSON.stringify({ pid: process.pid, token } satisfies LockInfo))
      closeSync(fd)
      let held = true
      return {
        token,
        publish: (url) => write({ pid: process.pid, url, token }),
        release: () => {
          if (!held) return
          held = false
          rmSync(path, { force: true })
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = readLock(dataDir)
      if (holder) throw new DataDirLockedError(dataDir, holder)
      // The holder died without releasing (SIGKILL, power loss): the lock is stale.
      rmSync(path, { force: true })
    }
  }
  throw new Error(`could not take the lock on ${dataDir}`)
}
