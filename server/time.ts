// Calendar dates as YYYY-MM-DD strings, and a time zone's local date at an instant.
const DAY_MS = 86_400_000

export const dayString = (ms: number) => new Date(ms).toISOString().slice(0, 10)
export const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`)
export const shiftDay = (day: string, days: number) => dayString(dayStart(day) + days * DAY_MS)

export function isCalendarDay(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(dayStart(text)) && dayString(dayStart(text)) === text
}

const formats = new Map<string, Intl.DateTimeFormat>()

/** The local calendar date in `timezone` at `ms`. */
export function localDay(timezone: string, ms: number): string {
  let format = formats.get(timezone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' })
    formats.set(timezone, format)
  }
  return format.format(ms)
}
