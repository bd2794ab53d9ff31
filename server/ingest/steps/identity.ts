// The visitor's daily hash: HMAC-SHA256 keyed by the salt of the site's local date, over the site,
// the IP and the user agent, cut to 64 bits. No persistent identifier exists anywhere.
import { createHmac } from 'node:crypto'
import { unavailable } from '../../errors.ts'
import type { Draft, Step } from '../pipeline.ts'
import { localTime, shiftDay } from '../../time.ts'
import type { SaltStore } from '../salts.ts'

/**
 * The site's local date at an instant and how far into it the instant is, cached per time zone
 * for the current minute (zone offsets are whole minutes, so both stay exact within one).
 */
export class LocalDays {
  readonly #cache = new Map<string, { minute: number; day: string; minuteOfDay: number }>()

  #at(timezone: string, ms: number) {
    const minute = Math.floor(ms / 60_000)
    let cached = this.#cache.get(timezone)
    if (!cached || cached.minute !== minute) {
      const { day, minuteOfDay } = localTime(timezone, ms)
      cached = { minute, day, minuteOfDay }
      this.#cache.set(timezone, cached)
    }
    return cached
  }

  day(timezone: string, ms: number): string {
    return this.#at(timezone, ms).day
  }

  secondsIntoDay(timezone: string, ms: number): number {
    return this.#at(timezone, ms).minuteOfDay * 60 + Math.floor((ms % 60_000) / 1000)
  }
}

export function visitorHash(salt: Buffer, siteId: number, ip: string, userAgent: string): string {
  const digest = createHmac('sha256', salt).update(`${siteId}\n${ip}\n${userAgent}`).digest()
  return digest.readBigUInt64BE(0).toString()
}

export class Identity {
  constructor(readonly salts: SaltStore, readonly days = new LocalDays()) {}

  readonly step: Step = {
    name: 'identifyVisitor',
    run: (draft) => {
      draft.localDay = this.days.day(draft.site.timezone, draft.request.receivedAt)
      const salt = this.salts.get(draft.localDay)
      // Salts are made days ahead; missing means Postgres has been unreachable for that long.
      if (!salt) throw unavailable('visitor salts are not available yet; try again shortly', 60)
      draft.visitorId = visitorHash(salt, draft.site.id, draft.request.ip, draft.request.userAgent)
      return undefined
    },
  }

  /**
   * Yesterday's hash of the same visitor while its salt exists, to continue a visit across
   * midnight. Only asked in the first `withinSeconds` of the local day: later, any visit from
   * yesterday has timed out anyway.
   */
  previousVisitorId(draft: Draft, withinSeconds: number): string | null {
    if (this.days.secondsIntoDay(draft.site.timezone, draft.request.receivedAt) >= withinSeconds) return null
    const salt = this.salts.get(shiftDay(draft.localDay, -1))
    return salt ? visitorHash(salt, draft.site.id, draft.request.ip, draft.request.userAgent) : null
  }
}
