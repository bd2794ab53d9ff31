// Calendar dates as YYYY-MM-DD strings, and a time zone's local date at an instant.
const DAY_MS = 86_400_000

export const dayString = (ms: number) => new Date(ms).toISOString().slice(0, 10)
export const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`)
export const shiftDay = (day: string, days: number) => dayString(dayStart(day) + days * DAY_MS)

/** A real date within what ClickHouse's DateTime can hold (1970 to 2105). */
export function isCalendarDay(text: string): boolean {
  return (
    /^(19[7-9]\d|20\d\d|210[0-5])-\d{2}-\d{2}$/.test(text) && !Number.isNaN(dayStart(text)) && dayString(dayStart(text)) === text
  )
}

const formats = new Map<string, Intl.DateTimeFormat>()

function format(timezone: string): Intl.DateTimeFormat {
  let found = formats.get(timezone)
  if (!found) {
    found = new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
    formats.set(timezone, found)
  }
  return found
}

/** The local calendar date in `timezone` at `ms`, and the minutes since its midnight. */
export function localTime(timezone: string, ms: number): { day: string; minuteOfDay: number } {
  const parts: Record<string, string> = {}
  for (const part of format(timezone).formatToParts(ms)) parts[part.type] = part.value
  return { day: `${parts.year}-${parts.month}-${parts.day}`, minuteOfDay: Number(parts.hour) * 60 + Number(parts.minute) }
}

/** The local calendar date in `timezone` at `ms`. */
export function localDay(timezone: string, ms: number): string {
  return localTime(timezone, ms).day
}
