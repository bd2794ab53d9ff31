// When synthetic visits start: hours over the last `days` days weighted by a daily and weekly
// rhythm in the site's own time zone, so the dashboard's day and hour charts look lived in.
import { HOUR_WEIGHTS, WEEKDAY_WEIGHTS } from './catalog.ts'
import { Weighted, type SeededRandom } from './random.ts'

const HOUR = 3600
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 }

export class Timeline {
  readonly #hours: Weighted<number>
  readonly #start: number
  readonly #end: number

  /** `end` in Unix seconds: no visit starts after it. */
  constructor(timezone: string, days: number, end: number) {
    const local = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hour: 'numeric', hourCycle: 'h23', weekday: 'short' })
    const start = end - days * 86_400
    const hours: Array<readonly [number, number]> = []
    for (let hour = Math.floor(start / HOUR) * HOUR; hour < end; hour += HOUR) {
      const parts = local.formatToParts(new Date(hour * 1000))
      const localHour = Number(parts.find((part) => part.type === 'hour')?.value ?? 0)
      const weekday = WEEKDAYS[parts.find((part) => part.type === 'weekday')?.value ?? 'Mon'] ?? 1
      hours.push([hour, HOUR_WEIGHTS[localHour % 24]! * WEEKDAY_WEIGHTS[weekday]!])
    }
    this.#hours = new Weighted(hours)
    this.#start = start
    this.#end = end
  }

  /** A visit's start (Unix seconds) such that a visit lasting `duration` seconds ends by the end. */
  visitStart(random: SeededRandom, duration: number): number {
    const hour = this.#hours.draw(random)
    const at = Math.max(this.#start, hour + random.int(0, HOUR - 1))
    return Math.max(this.#start, Math.min(at, this.#end - duration))
  }
}
