// Failed logins counted per account and per client address, in memory (each node keeps its own,
// like the ingest rate limit). Past the limit, login answers 429 until the window has passed.
export interface ThrottleLimit {
  readonly failures: number
  readonly windowMs: number
}

export class FailureThrottle {
  readonly #entries = new Map<string, { failures: number; resetAt: number }>()
  constructor(
    readonly limit: ThrottleLimit,
    readonly capacity = 50_000,
  ) {}

  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfter(key: string, now = Date.now()): number {
    const entry = this.#entries.get(key)
    if (!entry || entry.resetAt <= now) return 0
    return entry.failures >= this.limit.failures ? Math.ceil((entry.resetAt - now) / 1000) : 0
  }

  fail(key: string, now = Date.now()): void {
    let entry = this.#entries.get(key)
    if (!entry || entry.resetAt <= now) {
      if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value!)
      entry = { failures: 0, resetAt: now + this.limit.windowMs }
      this.#entries.set(key, entry)
    }
    entry.failures += 1
  }

  clear(key: string): void {
    this.#entries.delete(key)
  }
}
