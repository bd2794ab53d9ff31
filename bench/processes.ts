// Child processes of the benchmark (the Candor server, the no-op baseline, CLI calls) and what the
// benchmark reads about them from /proc. Every child is registered so that it is killed when the
// benchmark exits, however it exits.
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs'
import { join } from 'node:path'

const children = new Set<ChildProcess>()

/** Kills whatever child is still running; safe to call from an 'exit' handler (synchronous). */
export function killChildren(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(signal)
      } catch {
        // already gone
      }
    }
  }
}

export interface Child {
  readonly process: ChildProcess
  readonly pid: number
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  running(): boolean
  /** Sends SIGTERM, waits up to `graceMs`, then SIGKILL. Resolves with the exit code or signal. */
  stop(graceMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }>
}

export interface SpawnOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: readonly string[]
  /** Where stdout and stderr go. */
  log: WriteStream
  onStdout?: (chunk: string) => void
}

/** `node --import tsx <script>`: the spawned process is the script itself (no npx or tsx wrapper in between). */
export function spawnTs(script: string, args: readonly string[], options: SpawnOptions): Child {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', 'tsx', script, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (child.pid === undefined) throw new Error(`could not start ${script}`)
  children.add(child)
  child.stdout!.on('data', (chunk: Buffer) => {
    options.log.write(chunk)
    options.onStdout?.(chunk.toString())
  })
  child.stderr!.on('data', (chunk: Buffer) => options.log.write(chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child)
      resolve({ code, signal })
    }),
  )
  const running = () => child.exitCode === null && child.signalCode === null
  return {
    process: child,
    pid: child.pid,
    exited,
    running,
    async stop(graceMs) {
      if (!running()) return { ...(await exited), killed: false }
      child.kill('SIGTERM')
      const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, graceMs, 'timeout').unref())
      const outcome = await Promise.race([exited, timer])
      if (outcome !== 'timeout') return { ...outcome, killed: false }
      child.kill('SIGKILL')
      return { ...(await exited), killed: true }
    },
  }
}

/** Runs a TypeScript CLI to completion; rejects on a non-zero exit with its output. */
export async function runTs(script: string, args: readonly string[], options: Omit<SpawnOptions, 'onStdout'>): Promise<string> {
  let stdout = ''
  const child = spawnTs(script, args, { ...options, onStdout: (chunk) => (stdout += chunk) })
  const { code, signal } = await child.exited
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} failed (${code ?? signal}); see ${options.log.path}`)
  return stdout
}

export function logFile(dir: string, name: string): WriteStream {
  return createWriteStream(join(dir, name), { flags: 'a' })
}

export interface Memory {
  rss: number
  /** Peak RSS so far (the kernel's high-water mark). */
  hwm: number
  anon: number
  file: number
}

/** Memory of a process from /proc/<pid>/status, in bytes; null once it is gone. */
export function memory(pid: number): Memory | null {
  let status: string
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return null
  }
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)
    return match ? Number(match[1]) * 1024 : 0
  }
  return { rss: field('VmRSS'), hwm: field('VmHWM'), anon: field('RssAnon'), file: field('RssFile') + field('RssShmem') }
}

/** Resident bytes of the mappings whose path contains `needle` (e.g. a shared library), from /proc/<pid>/smaps. */
export function residentIn(pid: number, needle: string): number {
  let smaps: string
  try {
    smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8')
  } catch {
    return 0
  }
  let total = 0
  let inside = false
  for (const line of smaps.split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inside = line.includes(needle)
    else if (inside && line.startsWith('Rss:')) total += Number(/(\d+)/.exec(line)?.[1] ?? 0) * 1024
  }
  return total
}

/** Samples a process's memory every `intervalMs`; `peakHwm` is the highest VmHWM seen (the kernel's own peak RSS). */
export class MemorySampler {
  peakHwm = 0
  peakRss = 0
  /** The sample with the highest RSS, for its anonymous / file-backed split. */
  atPeak: Memory | null = null
  first: Memory | null = null
  last: Memory | null = null
  samples = 0
  readonly #timer: NodeJS.Timeout

  constructor(readonly pid: number, intervalMs = 100) {
    this.sample()
    this.#timer = setInterval(() => this.sample(), intervalMs)
    this.#timer.unref()
  }

  sample(): void {
    const now = memory(this.pid)
    if (!now) return
    this.samples++
    this.first ??= now
    this.last = now
    this.peakHwm = Math.max(this.peakHwm, now.hwm)
    if (now.rss > this.peakRss) {
      this.peakRss = now.rss
      this.atPeak = now
    }
  }

  stop(): void {
    this.sample()
    clearInterval(this.#timer)
  }
}

const CLOCK_TICKS = 100

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // The command name may hold spaces; the fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}
