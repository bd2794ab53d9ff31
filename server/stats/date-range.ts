// Date ranges of the Stats API, in the site's own time zone: "day", "yesterday", "7d", "30d", "month", "last_month",
// "6mo", "12mo", "year", "all", "realtime"/"30m", or [from, to] as dates or ISO 8601 instants.
import { badRequest } from '../errors.ts'
import { isCalendarDay, localDay, localTime, shiftDay } from '../time.ts'

export interface DateRange {
  /** Inclusive lower bound, local time in `zone`, 'YYYY-MM-DD HH:MM:SS'. */
  readonly from: string
  /** Exclusive upper bound, same form. */
  readonly to: string
  /** The site's zone for calendar ranges; UTC for ranges given as instants. */
  readonly zone: string
  /** First and last local calendar day covered (for time labels). */
  readonly firstDay: string
  readonly lastDay: string
}

/** The end of what ClickHouse's DateTime holds. */
const LATEST = Date.UTC(2106, 0, 1)

const monthStart = (day: string) => `${day.slice(0, 7)}-01`
function addMonths(day: string, months: number): string {
  const [year, month] = day.split('-').map(Number) as [number, number]
  const index = year * 12 + (month - 1) + months
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}-01`
}
const monthEnd = (day: string) => shiftDay(addMonths(day, 1), -1)

function days(first: string, last: string, zone: string): DateRange {
  return { from: `${first} 00:00:00`, to: `${shiftDay(last, 1)} 00:00:00`, zone, firstDay: first, lastDay: last }
}

const utc = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ')

function instants(fromMs: number, toMs: number, timezone: string): DateRange {
  return { from: utc(fromMs), to: utc(toMs), zone: 'UTC', firstDay: localDay(timezone, fromMs), lastDay: localDay(timezone, toMs - 1) }
}

export interface RangeContext {
  readonly timezone: string
  /** The site's first day (its creation), for "all". */
  readonly firstDay: string
  /** "Today" for relative ranges: the `date` parameter, or the site's current date. */
  readonly today: string
  readonly now: number
}

export function parseDateRange(input: unknown, context: RangeContext): DateRange {
  const { timezone, today, now } = context
  if (Array.isArray(input)) {
    const [from, to] = input as unknown[]
    if (input.length !== 2 || typeof from !== 'string' || typeof to !== 'string') {
      throw badRequest('date_range must be a keyword such as "7d" or [from, to]', 'date_range')
    }
    if (isCalendarDay(from) && isCalendarDay(to)) {
      if (from > to) throw badRequest(`date_range starts after it ends: ${from} > ${to}`, 'date_range')
      return days(from, to, timezone)
    }
    const fromMs = Date.parse(from)
    const toMs = Date.parse(to)
    const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/
    if (!zoned.test(from) || !zoned.test(to) || Number.isNaN(fromMs) || Number.isNaN(toMs)) {
      throw badRequest('date_range [from, to] takes two dates (YYYY-MM-DD) or two ISO 8601 times with an offset', 'date_range')
    }
    if (fromMs >= toMs) throw badRequest('date_range starts after it ends', 'date_range')
    if (fromMs < 0 || toMs > LATEST) throw badRequest('date_range must lie between 1970 and 2105', 'date_range')
    return instants(fromMs, toMs, timezone)
  }
  switch (input) {
    case 'day':
      return days(today, today, timezone)
    case 'yesterday':
      return days(shiftDay(today, -1), shiftDay(today, -1), timezone)
    case '7d':
      return days(shiftDay(today, -6), today, timezone)
    case '28d':
      return days(shiftDay(today, -27), today, timezone)
    case '30d':
      return days(shiftDay(today, -29), today, timezone)
    case '91d':
      return days(shiftDay(today, -90), today, timezone)
    case 'month':
      return days(monthStart(today), monthEnd(today), timezone)
    case 'last_month':
      return days(addMonths(today, -1), shiftDay(monthStart(today), -1), timezone)
    case '6mo':
      return days(addMonths(today, -5), monthEnd(today), timezone)
    case '12mo':
      return days(addMonths(today, -11), monthEnd(today), timezone)
    case 'year':
      return days(`${today.slice(0, 4)}-01-01`, `${today.slice(0, 4)}-12-31`, timezone)
    case 'all':
      return days(context.firstDay < today ? context.firstDay : today, today, timezone)
    case 'realtime':
      return instants(now - 5 * 60_000, now + 5_000, timezone)
    case '30m':
      return instants(now - 30 * 60_000, now + 5_000, timezone)
    default:
      throw badRequest(
        `unknown date_range ${JSON.stringify(input)}: use day, yesterday, 7d, 28d, 30d, 91d, month, last_month, 6mo, 12mo, year, all, realtime, 30m or [from, to]`,
        'date_range',
      )
  }
}

/** Every bucket label of a time dimension across the range, so charts can show empty buckets. */
export function timeLabels(dimension: string, range: DateRange, timezone = range.zone): string[] {
  const labels: string[] = []
  const limit = 10_000
  if (dimension === 'time:minute') {
    // Every minute from the range's start to its end, as the site's clock shows it.
    const toMs = (local: string) => Date.parse(`${local.replace(' ', 'T')}Z`)
    const span = toMs(range.to) - toMs(range.from)
    const start = range.zone === 'UTC' ? toMs(range.from) : null
    for (let offset = 0; offset < span && labels.length < limit; offset += 60_000) {
      if (start === null) {
        // A calendar range is already local time.
        labels.push(new Date(toMs(range.from) + offset).toISOString().slice(0, 16).replace('T', ' ') + ':00')
        continue
      }
      const ms = Math.floor((start + offset) / 60_000) * 60_000
      const { day, minuteOfDay } = localTime(timezone, ms)
      labels.push(`${day} ${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}:00`)
    }
    return labels
  }
  if (dimension === 'time:hour') {
    for (let day = range.firstDay; day <= range.lastDay && labels.length < limit; day = shiftDay(day, 1)) {
      for (let hour = 0; hour < 24; hour++) labels.push(`${day} ${String(hour).padStart(2, '0')}:00:00`)
    }
    return labels
  }
  if (dimension === 'time:month') {
    for (let month = monthStart(range.firstDay); month <= range.lastDay && labels.length < limit; month = addMonths(month, 1)) labels.push(month)
    return labels
  }
  if (dimension === 'time:week') {
    const first = range.firstDay
    const weekday = (new Date(`${first}T00:00:00Z`).getUTCDay() + 6) % 7
    for (let monday = shiftDay(first, -weekday); monday <= range.lastDay && labels.length < limit; monday = shiftDay(monday, 7)) labels.push(monday)
    return labels
  }
  for (let day = range.firstDay; day <= range.lastDay && labels.length < limit; day = shiftDay(day, 1)) labels.push(day)
  return labels
}
