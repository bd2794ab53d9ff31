// Open visits, in this node's memory: 30 minutes of inactivity end a visit, and a visit crosses
// midnight by matching the visitor's hash under the previous date's salt while that salt exists.
// Each event yields spool lines: its events row, and the visit's cancel (-1) and new (+1) rows.
import { randomBytes } from 'node:crypto'
import type { Draft } from './pipeline.ts'
import { addPage, eventLine, retierFragment, sessionLine, visitFragment, type VisitRowState } from './rows.ts'

export const SESSION_TIMEOUT_SECONDS = 30 * 60

/** Random 64-bit session ids, drawn from a pooled buffer. */
class SessionIds {
  #pool = Buffer.alloc(0)
  #offset = 0
  next(): string {
    if (this.#offset + 8 > this.#pool.length) {
      this.#pool = randomBytes(8 * 1024)
      this.#offset = 0
    }
    const id = this.#pool.readBigUInt64BE(this.#offset)
    this.#offset += 8
    return (id === 0n ? 1n : id).toString()
  }
}

export interface PreviousDay {
  /** The visitor's hash under yesterday's salt, when a visit from yesterday could still be open. */
  previousVisitorId(draft: Draft, withinSeconds: number): string | null
}

export class SessionTracker {
  readonly #visits = new Map<string, VisitRowState>()
  /** Every key a visit is filed under: today's hash, and yesterday's for a visit crossing midnight. */
  readonly #keys = new WeakMap<VisitRowState, string[]>()
  readonly #ids = new SessionIds()
  #sweeper: NodeJS.Timeout | undefined

  constructor(
    readonly previousDay: PreviousDay,
    readonly timeoutSeconds = SESSION_TIMEOUT_SECONDS,
    /** Looks up the location of an event the pipeline skipped but whose attributes now start or re-tier a visit. */
    readonly locateLate: (draft: Draft) => void = () => {},
  ) {}

  get size(): number {
    return this.#visits.size
  }

  startSweeping(intervalMs = 60_000): void {
    this.#sweeper = setInterval(() => this.sweep(Math.floor(Date.now() / 1000)), intervalMs)
    this.#sweeper.unref()
  }

  stop(): void {
    clearInterval(this.#sweeper)
  }

  /** Forgets visits idle for longer than the timeout. */
  sweep(nowSeconds: number): void {
    for (const [key, visit] of this.#visits) {
      if (nowSeconds - visit.last > this.timeoutSeconds) this.#visits.delete(key)
    }
  }

  /**
   * Whether this event starts a visit or changes its tier, so that its own attributes (location,
   * device, source) are written; other events carry their open visit's attributes.
   */
  startsOrRetiers(draft: Draft): boolean {
    const visit = this.#visits.get(`${draft.site.id}:${draft.visitorId}`)
    const now = Math.floor(draft.request.receivedAt / 1000)
    return visit === undefined || now - visit.last > this.timeoutSeconds || visit.consented !== draft.consented
  }

  /** Forgets a visit whose rows could not be spooled, so no later row cancels one never stored. */
  forget(draft: Draft): void {
    const visit = this.#visits.get(`${draft.site.id}:${draft.visitorId}`)
    if (visit) for (const key of this.#keys.get(visit) ?? []) this.#visits.delete(key)
  }

  #open(draft: Draft, now: number): VisitRowState | undefined {
    const key = `${draft.site.id}:${draft.visitorId}`
    const visit = this.#visits.get(key)
    if (visit && now - visit.last <= this.timeoutSeconds) return visit
    const yesterday = this.previousDay.previousVisitorId(draft, this.timeoutSeconds)
    const carried = yesterday === null ? undefined : this.#visits.get(`${draft.site.id}:${yesterday}`)
    if (carried && now - carried.last <= this.timeoutSeconds) {
      // Remember the visit under today's hash as well; the sweep removes both keys together.
      this.#visits.set(key, carried)
      this.#keys.get(carried)?.push(key)
      return carried
    }
    return undefined
  }

  /** Spool lines for one accepted event. */
  record(draft: Draft): string {
    const now = Math.floor(draft.request.receivedAt / 1000)
    const { name, interactive } = draft.event
    const pageview = name === 'pageview'
    const interaction = !pageview && interactive ? 1 : 0
    let visit = this.#open(draft, now)
    let lines = ''
    if (visit === undefined || visit.consented !== draft.consented) {
      if (!draft.located) this.locateLate(draft)
    }
    if (visit === undefined) {
      visit = {
        sessionId: this.#ids.next(),
        visitorId: draft.visitorId,
        start: now,
        last: now,
        version: 1,
        hostname: draft.hostname,
        entryPage: draft.pathname,
        exitPage: draft.pathname,
        pages: [draft.pathname],
        pagesJson: JSON.stringify([draft.pathname]),
        pageviews: pageview ? 1 : 0,
        events: 1,
        interactions: interaction,
        consented: draft.consented,
        fragment: visitFragment(draft),
      }
      const key = `${draft.site.id}:${draft.visitorId}`
      this.#visits.set(key, visit)
      this.#keys.set(visit, [key])
    } else {
      lines += sessionLine(visit, -1)
      if (visit.consented !== draft.consented) {
        visit.fragment = retierFragment(visit.fragment, draft)
        visit.consented = draft.consented
      }
      visit.version += 1
      visit.last = Math.max(visit.last, now)
      visit.events += 1
      visit.interactions += interaction
      addPage(visit, draft.pathname)
      if (pageview) {
        visit.pageviews += 1
        visit.exitPage = draft.pathname
      }
    }
    return lines + eventLine(draft, visit) + sessionLine(visit, 1)
  }
}
