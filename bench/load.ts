// One load phase with autocannon: every request comes from a Traffic stream, every answer is
// counted by status and by X-Candor-Dropped, and the phase ends gracefully: at the deadline each
// connection finishes the request it has in flight and sends no more, so no request is left
// unanswered (an unanswered request might have been stored without being acknowledged, which would
// make "stored == acknowledged" unverifiable).
import autocannon from 'autocannon'
import type { Traffic } from './traffic.ts'

export interface PhaseOptions {
  title: string
  url: string
  traffic: Traffic
  seconds: number
  connections: number
  /** Requests per second over all connections (autocannon's overallRate, -R); unset = as fast as possible. */
  rate?: number
  /** Keep every latency (for percentiles). */
  recordLatencies?: boolean
}

export interface PhaseResult {
  title: string
  seconds: number
  /** All answers, and the 2xx answers received before the deadline (for the rate). */
  answered: number
  okInTime: number
  ok: number
  /** 202 without X-Candor-Dropped: stored for sure. */
  acknowledged: number
  /** 2xx with X-Candor-Dropped, by reason. */
  dropped: Record<string, number>
  /** Non-2xx answers by status. */
  failures: Record<string, number>
  sent: number
  errors: number
  timeouts: number
  /** 2xx answers per second within the phase. */
  rate: number
  /** 2xx answers in each second of the phase. */
  perSecond: number[]
  /** Milliseconds, in arrival order (only with recordLatencies). */
  latencies: Float64Array
  latencyCount: number
}

interface ClientInternals {
  reqsMade: number
  responseMax: number | undefined
}

interface HeadersInfo {
  statusCode: number
  headers: string[]
}

const DROPPED = 'x-candor-dropped'

export async function runPhase(options: PhaseOptions): Promise<PhaseResult> {
  const { traffic, seconds } = options
  const result: PhaseResult = {
    title: options.title,
    seconds,
    answered: 0,
    okInTime: 0,
    ok: 0,
    acknowledged: 0,
    dropped: {},
    failures: {},
    sent: 0,
    errors: 0,
    timeouts: 0,
    rate: 0,
    perSecond: [],
    latencies: new Float64Array(options.recordLatencies ? Math.ceil((options.rate ?? 50_000) * (seconds + 5) * 1.2) : 0),
    latencyCount: 0,
  }
  const clients: (autocannon.Client & ClientInternals)[] = []
  let deadlinePassed = false
  const startedAt = performance.now()

  const onHeaders = (info: HeadersInfo) => {
    result.answered++
    const status = info.statusCode
    if (status < 200 || status >= 300) {
      result.failures[status] = (result.failures[status] ?? 0) + 1
      return
    }
    result.ok++
    if (!deadlinePassed) {
      result.okInTime++
      const second = Math.min(seconds - 1, Math.floor((performance.now() - startedAt) / 1000))
      result.perSecond[second] = (result.perSecond[second] ?? 0) + 1
    }
    const raw = info.headers
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!
      if (name.length === DROPPED.length && name.toLowerCase() === DROPPED) {
        const reason = raw[i + 1] ?? ''
        result.dropped[reason] = (result.dropped[reason] ?? 0) + 1
        return
      }
    }
    if (status === 202) result.acknowledged++
  }

  // Without a callback autocannon returns its event emitter, which is also a promise of the result.
  const instance = autocannon({
    url: options.url,
    method: 'POST',
    connections: options.connections,
    // The phase is ended by the graceful stop below; autocannon's own timer is only a backstop.
    duration: seconds + 60,
    timeout: 30,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const next = traffic.next()
          request.headers = next.headers
          request.body = next.body
          return request
        },
      },
    ],
    setupClient: (client) => {
      clients.push(client as autocannon.Client & ClientInternals)
      const emitter = client as unknown as NodeJS.EventEmitter
      emitter.on('headers', onHeaders)
      emitter.on('request', () => result.sent++)
    },
  }) as unknown as autocannon.Instance & Promise<autocannon.Result>
  instance.on('reqError', () => {})
  if (options.recordLatencies) {
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300 && result.latencyCount < result.latencies.length) {
        result.latencies[result.latencyCount++] = responseTime
      }
    })
  }

  const started = process.hrtime.bigint()
  const deadline = setTimeout(() => {
    deadlinePassed = true
    // Each client finishes its request in flight, then stops (autocannon ends the run when all are done).
    for (const client of clients) client.responseMax = Math.max(1, client.reqsMade)
  }, seconds * 1000)
  let summary: autocannon.Result
  try {
    summary = await instance
  } finally {
    clearTimeout(deadline)
  }
  const elapsed = Math.min(seconds, Number(process.hrtime.bigint() - started) / 1e9)
  result.errors = summary.errors
  result.timeouts = summary.timeouts
  // 2xx answers that arrived before the deadline, over the phase's length.
  result.rate = result.okInTime / elapsed
  return result
}

export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))
  return sorted[index]!
}

export function total(record: Record<string, number>): number {
  let sum = 0
  for (const value of Object.values(record)) sum += value
  return sum
}
