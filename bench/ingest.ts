// `npm run bench`: the ingest benchmark (DESIGN.md, "Ingest must lose nothing it acknowledged").
//
// Starts the real server (embedded chDB + PGlite, fresh DATA_DIR) and a no-op Fastify baseline
// as child processes, drives both with autocannon using realistic tracker traffic, and prints:
// events/s at saturation for /api/event and the no-op route and their ratio, p50/p99 latency of
// /api/event at a fixed rate, the server's peak RSS, and whether every acknowledged event
// (202 without X-Candor-Dropped) is in ClickHouse once the spool has drained. Exits non-zero
// when stored != acknowledged.
//
//   npm run bench -- --saturation 20 --fixed 15 --warmup 3 --connections 100 --rate 5000
//   (or BENCH_SATURATION_SECONDS, BENCH_FIXED_SECONDS, BENCH_WARMUP_SECONDS, BENCH_CONNECTIONS, …; --help)
//
// The table goes to stdout, the details (phases, CPU per request, spool and memory figures) to
// stderr. With --profile the server runs with --cpu-prof; summarise it with bench/profile.ts.
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { WriteStream } from 'node:fs'
import { percentile, runPhase, total, type PhaseResult } from './load.ts'
import { cpuSeconds, killChildren, logFile, MemorySampler, residentIn, runTs, spawnTs, type Child, type Memory } from './processes.ts'
import { population, SITE, Traffic, type Population } from './traffic.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

// ---------------------------------------------------------------------------------------------
// Options

const USAGE = `Usage: npm run bench -- [options]

  --saturation <s>       seconds at saturation, per target        (BENCH_SATURATION_SECONDS, 20)
  --fixed <s>            seconds at the fixed rate                 (BENCH_FIXED_SECONDS, 15)
  --warmup <s>           warm-up seconds, per target               (BENCH_WARMUP_SECONDS, 3)
  --connections <n>      connections at saturation                 (BENCH_CONNECTIONS, 100)
  --rate <n>             events/s of the fixed-rate phase          (BENCH_RATE, 5000)
  --rate-connections <n> connections of the fixed-rate phase       (BENCH_RATE_CONNECTIONS, 50)
  --visitors <n>         visitors (distinct IPs) in the population (BENCH_VISITORS, 150000)
  --user-agents <n>      distinct human user agents                (BENCH_USER_AGENTS, 1500)
  --seed <n>             seed of the traffic generator             (BENCH_SEED, 1)
  --profile              write a V8 CPU profile of the server      (BENCH_PROFILE=1)
  --dir <path>           where the temporary DATA_DIR is made      (BENCH_DIR, the OS temp dir)
  --keep                 keep the temporary directory              (BENCH_KEEP=1)`

interface Options {
  saturation: number
  fixed: number
  warmup: number
  connections: number
  rate: number
  rateConnections: number
  visitors: number
  userAgents: number
  seed: number
  profile: boolean
  keep: boolean
  dir: string
}

function options(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      saturation: { type: 'string' },
      fixed: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      rate: { type: 'string' },
      'rate-connections': { type: 'string' },
      visitors: { type: 'string' },
      'user-agents': { type: 'string' },
      seed: { type: 'string' },
      profile: { type: 'boolean' },
      keep: { type: 'boolean' },
      dir: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const number = (name: keyof typeof values, variable: string, fallback: number, min: number): number => {
    const flag = values[name]
    const raw = typeof flag === 'string' ? flag : process.env[variable]
    if (raw === undefined || raw === '') return fallback
    const value = Number(raw)
    if (!Number.isFinite(value) || value < min) {
      console.error(`bench: --${name} (${variable}) must be a number >= ${min}, got "${raw}"`)
      process.exit(2)
    }
    return value
  }
  const flag = (value: boolean | undefined, variable: string) => value === true || /^(1|true|yes)$/i.test(process.env[variable] ?? '')
  return {
    saturation: number('saturation', 'BENCH_SATURATION_SECONDS', 20, 1),
    fixed: number('fixed', 'BENCH_FIXED_SECONDS', 15, 1),
    warmup: number('warmup', 'BENCH_WARMUP_SECONDS', 3, 0),
    connections: Math.floor(number('connections', 'BENCH_CONNECTIONS', 100, 1)),
    rate: Math.floor(number('rate', 'BENCH_RATE', 5000, 1)),
    rateConnections: Math.floor(number('rate-connections', 'BENCH_RATE_CONNECTIONS', 50, 1)),
    visitors: Math.floor(number('visitors', 'BENCH_VISITORS', 150_000, 1000)),
    userAgents: Math.floor(number('user-agents', 'BENCH_USER_AGENTS', 1500, 10)),
    seed: Math.floor(number('seed', 'BENCH_SEED', 1, 0)),
    profile: flag(values.profile, 'BENCH_PROFILE'),
    keep: flag(values.keep, 'BENCH_KEEP'),
    dir: values.dir ?? (process.env.BENCH_DIR || tmpdir()),
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting

const LABEL = 31
const VALUE = 20
const GOAL = 20
const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024)} MB`
const row = (label: string, value: string, goal = '', verdict = '') =>
  `${label.padEnd(LABEL)}${goal || verdict ? value.padEnd(VALUE) : value}${goal ? `${goal.padEnd(GOAL)}` : ''}${verdict}`.trimEnd()
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL')
const log = (line: string) => process.stderr.write(`${line}\n`)

// ---------------------------------------------------------------------------------------------
// Servers

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function startCandor(dataDir: string, serverLog: WriteStream, profileDir: string | null): Promise<{ child: Child; url: string }> {
  const child = spawnTs(join(root, 'server', 'main.ts'), [], {
    cwd: root,
    log: serverLog,
    nodeFlags: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      TRUST_PROXY: 'true',
      RATE_LIMIT_PER_MINUTE: '10000000',
      LOG_LEVEL: 'warn',
      SECRET_KEY: randomBytes(32).toString('base64url'),
      // Always the embedded databases, whatever the calling shell has set.
      CLICKHOUSE_URL: '',
      DATABASE_URL: '',
    },
  })
  const deadline = Date.now() + 180_000
  for (;;) {
    if (!child.running()) throw new Error(`the server exited while starting; see ${serverLog.path}`)
    if (Date.now() > deadline) throw new Error(`the server did not start within 3 minutes; see ${serverLog.path}`)
    try {
      const lock = JSON.parse(readFileSync(join(dataDir, 'candor.lock'), 'utf8')) as { pid?: number; url?: string }
      if (lock.pid === child.pid && lock.url) {
        const health = await fetch(`${lock.url}/api/health`)
        if (health.ok) return { child, url: lock.url }
      }
    } catch {
      // not listening yet
    }
    await sleep(200)
  }
}

async function startNoop(noopLog: WriteStream): Promise<{ child: Child; url: string }> {
  let resolveUrl: (url: string) => void = () => {}
  const listening = new Promise<string>((resolve) => (resolveUrl = resolve))
  let buffered = ''
  const child = spawnTs(join(root, 'bench', 'noop-server.ts'), [], {
    cwd: root,
    log: noopLog,
    env: { ...process.env, NODE_ENV: 'production' },
    onStdout: (chunk) => {
      buffered += chunk
      const match = /listening (\S+)/.exec(buffered)
      if (match) resolveUrl(match[1]!)
    },
  })
  const url = await Promise.race([
    listening,
    child.exited.then(() => Promise.reject(new Error(`the no-op server exited while starting; see ${noopLog.path}`))),
    sleep(60_000).then(() => Promise.reject(new Error('the no-op server did not start within a minute'))),
  ])
  return { child, url }
}

interface Health {
  spool: { backlogBytes: number; committedOffset: number; durableOffset: number }
}

/** Waits until everything spooled is in ClickHouse; returns the seconds it took. */
async function drained(url: string, timeoutMs: number): Promise<number> {
  const started = Date.now()
  for (;;) {
    const response = await fetch(`${url}/api/health`)
    const health = (await response.json()) as Health
    if (health.spool.backlogBytes === 0 && health.spool.committedOffset === health.spool.durableOffset) return (Date.now() - started) / 1000
    if (Date.now() - started > timeoutMs) {
      throw new Error(`the spool did not drain within ${timeoutMs / 1000} s (backlog ${health.spool.backlogBytes} bytes)`)
    }
    await sleep(200)
  }
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10)

async function stats(url: string, key: string, metrics: string[]): Promise<number[]> {
  // Yesterday to tomorrow (UTC, the site's zone): safe around midnight.
  const response = await fetch(`${url}/api/v2/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: SITE, metrics, date_range: [day(-1), day(1)] }),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`Stats API answered ${response.status}: ${text}`)
  const body = JSON.parse(text) as { results: { metrics: number[] }[] }
  return body.results[0]?.metrics ?? metrics.map(() => 0)
}

/** The server's Prometheus samples, by name with labels. */
async function metrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+(?:\{[^}]*\})?) ([-+0-9.eE]+|NaN)$/.exec(line)
    if (match) samples.set(match[1]!, Number(match[2]))
  }
  return samples
}

/** What the spool and its writer did between two metric snapshots. */
function spoolActivity(before: Map<string, number>, after: Map<string, number>): string {
  const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0)
  const syncs = delta('candor_spool_sync_seconds_count')
  const accepted = delta('candor_events_accepted_total')
  const flushes = delta('candor_writer_flush_seconds_count')
  const ms = (sum: number, count: number) => (count > 0 ? fmt((sum / count) * 1000, 1) : '-')
  return (
    `${fmt(syncs)} group commits (mean ${ms(delta('candor_spool_sync_seconds_sum'), syncs)} ms write+fdatasync, ` +
    `${syncs > 0 ? fmt(accepted / syncs, 1) : '-'} events each); ${fmt(flushes)} ClickHouse inserts (mean ` +
    `${ms(delta('candor_writer_flush_seconds_sum'), flushes)} ms, ${fmt(delta('candor_writer_rows_total{table="events"}'))} event rows)`
  )
}

// ---------------------------------------------------------------------------------------------
// Preflight: a sample of the traffic one by one, so a generator mistake shows up as a clear error

interface Preflight {
  acknowledged: number
  dropped: Record<string, number>
}

async function preflight(url: string, traffic: Traffic, count: number): Promise<Preflight> {
  const outcome: Preflight = { acknowledged: 0, dropped: {} }
  const send = async () => {
    const { headers, body } = traffic.next()
    const response = await fetch(url, { method: 'POST', headers, body: new Uint8Array(body) })
    const text = await response.text()
    if (response.status !== 202) {
      throw new Error(`preflight: ${url} answered ${response.status} ${text}\n  request headers ${JSON.stringify(headers)}\n  body ${body.toString()}`)
    }
    const reason = response.headers.get('x-candor-dropped')
    if (reason) outcome.dropped[reason] = (outcome.dropped[reason] ?? 0) + 1
    else outcome.acknowledged++
  }
  for (let sent = 0; sent < count; sent += 10) await Promise.all(Array.from({ length: Math.min(10, count - sent) }, send))
  return outcome
}

// ---------------------------------------------------------------------------------------------
// The run

interface Measured extends PhaseResult {
  serverCpu: number
  loadCpu: number
}

async function measured(pid: number, run: () => Promise<PhaseResult>): Promise<Measured> {
  const serverBefore = cpuSeconds(pid) ?? 0
  const loadBefore = process.cpuUsage()
  const result = await run()
  const load = process.cpuUsage(loadBefore)
  const seconds = result.seconds
  return {
    ...result,
    serverCpu: ((cpuSeconds(pid) ?? 0) - serverBefore) / seconds,
    loadCpu: (load.user + load.system) / 1e6 / seconds,
  }
}

function phaseLine(phase: Measured): string {
  const dropped = total(phase.dropped)
  const failed = total(phase.failures)
  const unanswered = phase.sent - phase.answered
  const failures = Object.entries(phase.failures).map(([status, n]) => `${status}×${fmt(n)}`).join(' ')
  return (
    `  ${phase.title.padEnd(26)}${`${fmt(phase.seconds)} s`.padStart(6)}${fmt(phase.answered).padStart(10)}` +
    `${fmt(phase.rate).padStart(10)}${fmt(dropped).padStart(9)}${fmt(failed).padStart(8)}${fmt(unanswered).padStart(8)}` +
    `${`${fmt(phase.serverCpu * 100)}%`.padStart(8)}${`${fmt(phase.loadCpu * 100)}%`.padStart(8)}` +
    `${fmt((phase.serverCpu * phase.seconds * 1e6) / Math.max(1, phase.answered)).padStart(8)}` +
    `${fmt((phase.loadCpu * phase.seconds * 1e6) / Math.max(1, phase.answered)).padStart(8)}` +
    (failures ? `  ${failures}` : '')
  )
}

async function main(): Promise<number> {
  const opts = options()
  const started = Date.now()

  // Everything the generator needs, built before any clock runs.
  const generated = Date.now()
  const people: Population = population({
    seed: opts.seed,
    visitors: opts.visitors,
    userAgents: opts.userAgents,
    botShare: 0.025,
    bodiesPerTier: 12_000,
  })
  const ingestTraffic = new Traffic(people, opts.seed + 1)
  const noopTraffic = new Traffic(people, opts.seed + 2)
  log(
    `traffic: ${fmt(people.visitors.length)} visitors (distinct IPs), ${fmt(people.userAgents.humans.length)} human user agents ` +
      `(Zipf, top one ${fmt(people.agentZipf.topShare * 100, 1)}%), 2.5% bot visitors, ${fmt(people.bodies.anonymous.length * 2)} event bodies ` +
      `over ${people.bodies.paths} paths; generated in ${fmt((Date.now() - generated) / 1000, 1)} s`,
  )

  log(`machine: ${availableParallelism()} CPUs, load average ${loadavg().map((n) => fmt(n, 2)).join(' ')}`)
  const work = mkdtempSync(join(opts.dir, 'candor-bench-'))
  interrupted.work = opts.keep ? null : work
  const dataDir = join(work, 'data')
  const profileDir = opts.profile ? join(work, 'profile') : null
  if (profileDir) mkdirSync(profileDir)
  const serverLog = logFile(work, 'server.log')
  const noopLog = logFile(work, 'noop.log')
  const cliLog = logFile(work, 'cli.log')
  log(`work directory: ${work}`)

  let server: { child: Child; url: string } | null = null
  let noop: { child: Child; url: string } | null = null
  let sampler: MemorySampler | null = null
  let failed = true
  try {
    // The CLI creates the databases and the site before the server starts (it opens them itself while
    // no server holds DATA_DIR), so the server starts on an existing DATA_DIR, as it does in production
    // every time but the first. The key is then made through the running server.
    const cliEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', CLICKHOUSE_URL: '', DATABASE_URL: '' }
    const cli = join(root, 'server', 'cli', 'main.ts')
    log(`creating the databases and the site ${SITE} with the CLI…`)
    await runTs(cli, ['site', 'add', SITE], { cwd: root, env: cliEnv, log: cliLog })

    log('starting the server (embedded ClickHouse and Postgres)…')
    server = await startCandor(dataDir, serverLog, profileDir)
    sampler = new MemorySampler(server.child.pid, 100)
    const ready = await metrics(server.url)
    log(`server pid ${server.child.pid} at ${server.url}`)
    const keyOutput = await runTs(cli, ['key', 'create', '--site', SITE], { cwd: root, env: cliEnv, log: cliLog })
    const key = keyOutput.trim().split('\n').at(-1)?.trim() ?? ''
    if (!key) throw new Error('key create printed no key')

    noop = await startNoop(noopLog)
    log(`no-op baseline pid ${noop.child.pid} at ${noop.url}`)

    const eventUrl = `${server.url}/api/event`
    const noopUrl = `${noop.url}/noop`
    const check = await preflight(eventUrl, ingestTraffic, 300)
    await preflight(noopUrl, noopTraffic, 50)
    log(`preflight: 300 events, ${check.acknowledged} acknowledged, dropped ${JSON.stringify(check.dropped)}`)

    const phases: Measured[] = []
    const serverPid = server.child.pid
    const noopPid = noop.child.pid
    const phase = async (pid: number, title: string, url: string, traffic: Traffic, seconds: number, connections: number, rate?: number) => {
      log(`${title}: ${seconds} s, ${connections} connections${rate ? `, ${fmt(rate)}/s` : ''}…`)
      const result = await measured(pid, () =>
        runPhase({ title, url, traffic, seconds, connections, ...(rate ? { rate, recordLatencies: true } : {}) }),
      )
      phases.push(result)
      return result
    }

    if (opts.warmup > 0) {
      await phase(serverPid, 'warm-up /api/event', eventUrl, ingestTraffic, opts.warmup, opts.connections)
      await phase(noopPid, 'warm-up no-op', noopUrl, noopTraffic, opts.warmup, opts.connections)
    }
    const beforeSaturation = await metrics(server.url)
    const ingest = await phase(serverPid, 'saturation /api/event', eventUrl, ingestTraffic, opts.saturation, opts.connections)
    const afterSaturation = await metrics(server.url)
    // Let the writer catch up so the baseline does not share the CPU with ClickHouse inserts.
    const drainAfterSaturation = await drained(server.url, 120_000)
    const baseline = await phase(noopPid, 'saturation no-op', noopUrl, noopTraffic, opts.saturation, opts.connections)
    const beforeFixed = await metrics(server.url)
    const fixed = await phase(serverPid, `fixed rate /api/event`, eventUrl, ingestTraffic, opts.fixed, opts.rateConnections, opts.rate)
    const afterFixed = await metrics(server.url)

    log('waiting for the spool to drain into ClickHouse…')
    const drainSeconds = await drained(server.url, 300_000)
    const [stored = 0] = await stats(server.url, key, ['events'])
    let extra = ''
    try {
      const [visitors = 0, visits = 0, pageviews = 0] = await stats(server.url, key, ['visitors', 'visits', 'pageviews'])
      extra = `${fmt(visitors)} visitors, ${fmt(visits)} visits, ${fmt(pageviews)} pageviews`
    } catch (error) {
      extra = `(visitors/visits query failed: ${(error as Error).message})`
    }
    const final = await metrics(server.url)
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as Health
    const chdbResident = residentIn(server.child.pid, 'libchdb')
    sampler.stop()
    const end = sampler.last
    const ingestPhases = phases.filter((p) => p.title.endsWith('/api/event'))
    const acknowledged = check.acknowledged + ingestPhases.reduce((sum, p) => sum + p.acknowledged, 0)
    const unanswered = ingestPhases.reduce((sum, p) => sum + (p.sent - p.answered), 0)
    const dropped: Record<string, number> = { ...check.dropped }
    for (const p of ingestPhases) for (const [reason, n] of Object.entries(p.dropped)) dropped[reason] = (dropped[reason] ?? 0) + n

    const sorted = fixed.latencies.slice(0, fixed.latencyCount).sort()
    const p50 = percentile(sorted, 0.5)
    const p99 = percentile(sorted, 0.99)
    const ratio = ingest.rate / baseline.rate
    const storedOk = stored === acknowledged

    // Details first (stderr), then the table (stdout).
    log('')
    log(
      `  ${'phase'.padEnd(26)}${'length'.padStart(6)}${'answers'.padStart(10)}${'2xx/s'.padStart(10)}${'dropped'.padStart(9)}` +
        `${'non-2xx'.padStart(8)}${'lost'.padStart(8)}${'server'.padStart(8)}${'loadgen'.padStart(8)}${'µs/req'.padStart(8)}${'µs/req'.padStart(8)}`,
    )
    for (const p of phases) log(phaseLine(p))
    log(
      `  ("server" / "loadgen": CPU of the process under test / of this load generator, 100% = one core, then the same as ` +
        `CPU microseconds per answer; "lost" = sent but never answered)`,
    )
    log(`  2xx in each second, saturation /api/event: ${Array.from(ingest.perSecond, (n) => fmt(n ?? 0)).join(' ')}`)
    log(`  2xx in each second, fixed rate /api/event: ${Array.from(fixed.perSecond, (n) => fmt(n ?? 0)).join(' ')}`)
    log(
      `  sent to /api/event: ${fmt(ingestTraffic.requests)} events from ${fmt(ingestTraffic.visitorsSeen)} visitors (distinct IPs) with ` +
        `${fmt(ingestTraffic.distinctAgents)} distinct human user agents (and ${fmt(ingestTraffic.botVisitors)} bot visitors); formats ${JSON.stringify(ingestTraffic.formats)}`,
    )
    log(`  dropped by the server (202 + X-Candor-Dropped): ${JSON.stringify(dropped)}`)
    log(`  in ClickHouse: ${fmt(stored)} events; ${extra}`)
    log(`  spool drained ${fmt(drainAfterSaturation, 1)} s after the saturation phase and ${fmt(drainSeconds, 1)} s after the last phase`)
    const accepted = final.get('candor_events_accepted_total') ?? NaN
    log(
      `  server's own count of accepted events: ${fmt(accepted)}; spool bytes written: ${mb(health.spool.durableOffset)} ` +
        `(${fmt(health.spool.durableOffset / accepted)} bytes per event, event row + session rows)`,
    )
    log(`  spool, saturation phase: ${spoolActivity(beforeSaturation, afterSaturation)}`)
    log(`  spool, fixed-rate phase: ${spoolActivity(beforeFixed, afterFixed)}`)
    const start = sampler.first
    const peak = sampler.atPeak
    const breakdown = (label: string, memory: Memory | null, samples: Map<string, number>, chdb: string) => {
      if (!memory) return
      const heap = samples.get('candor_nodejs_heap_size_total_bytes') ?? NaN
      const external = samples.get('candor_nodejs_external_memory_bytes') ?? NaN
      log(
        `  server RSS ${label}: ${mb(memory.rss)} = file-backed ${mb(memory.file)}${chdb} + V8 heap ${mb(heap)} + ` +
          `V8 external ${mb(external)} (PGlite's WebAssembly memory, GeoIP files) + other native ${mb(memory.anon - heap - external)} (chDB, allocators)`,
      )
    }
    breakdown('when ready', start, ready, '')
    breakdown('at the end', end, final, ` (libchdb.so ${mb(chdbResident)})`)
    log(`  server RSS at the highest sample: ${mb(sampler.peakRss)} (anonymous ${peak ? mb(peak.anon) : '?'}, file-backed ${peak ? mb(peak.file) : '?'})`)
    log(`  fixed-rate phase: ${fmt(fixed.latencyCount)} latencies, ${fmt(fixed.rate)} answers/s; max ${fmt(sorted[sorted.length - 1] ?? NaN, 1)} ms`)
    log(
      `  (autocannon -R gives each connection its share of every second and sends it back to back, so the ` +
        `${fmt(opts.rateConnections)} connections burst at the start of each second)`,
    )
    if (fixed.rate < opts.rate * 0.95) {
      log(`  NOTE: the fixed-rate phase reached only ${fmt(fixed.rate)}/s of ${fmt(opts.rate)}/s: the server saturated, so its latencies are queueing at saturation`)
    }
    log('')

    const lines = [
      row('ingest events/s (saturation)', fmt(ingest.rate)),
      row('no-op route events/s', fmt(baseline.rate)),
      row('ratio', fmt(ratio, 2), 'goal >= 0.60', verdict(ratio >= 0.6)),
      row(`p50 / p99 at ${fmt(opts.rate)}/s`, `${fmt(p50, 1)} ms / ${fmt(p99, 1)} ms`, 'goal p99 <= 25 ms', verdict(p99 <= 25)),
      row('peak RSS (server)', mb(sampler.peakHwm), 'goal <= 500 MB', verdict(sampler.peakHwm <= 500 * 1024 * 1024)),
      row('acknowledged / stored', `${fmt(acknowledged)} / ${fmt(stored)}`, '', verdict(storedOk)),
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
    if (!storedOk) {
      log(
        stored > acknowledged && stored - acknowledged <= unanswered
          ? `stored exceeds acknowledged by ${fmt(stored - acknowledged)}; ${fmt(unanswered)} requests got no answer (errors/timeouts) and may have been stored`
          : `stored != acknowledged: ${fmt(stored - acknowledged)} (unanswered requests: ${fmt(unanswered)})`,
      )
    }

    failed = !storedOk
    log(`total ${fmt((Date.now() - started) / 1000)} s; load average ${loadavg().map((n) => fmt(n, 2)).join(' ')} on ${fmt(availableParallelism())} CPUs`)
  } finally {
    sampler?.stop()
    await noop?.child.stop(5_000)
    if (server) {
      const stopped = await server.child.stop(60_000)
      if (stopped.killed) log('the server did not stop within 60 s of SIGTERM and was killed')
      else if (stopped.code !== 0) log(`the server exited with ${stopped.code ?? stopped.signal}; see ${serverLog.path}`)
    }
    await new Promise((resolve) => serverLog.end(resolve))
    noopLog.end()
    cliLog.end()
    if (profileDir) log(`server CPU profile: ${profileDir}`)
    if (opts.keep || profileDir || failed) log(`kept ${work}`)
    else rmSync(work, { recursive: true, force: true })
  }
  return failed ? 1 : 0
}

/** What to remove when the run is interrupted. */
const interrupted: { work: string | null } = { work: null }

process.on('exit', () => killChildren('SIGKILL'))
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    log(`\nbench: ${signal}, stopping`)
    killChildren('SIGKILL')
    if (interrupted.work) {
      try {
        rmSync(interrupted.work, { recursive: true, force: true })
      } catch {
        // a child may still be closing its files; the directory is in the temp dir anyway
      }
    }
    process.exit(130)
  })
}

try {
  process.exitCode = await main()
} catch (error) {
  log(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  killChildren('SIGKILL')
  process.exitCode = 1
}
// autocannon and the samplers leave nothing behind, but do not wait on a stray handle.
setTimeout(() => process.exit(), 100)
