// English and Russian: each module keeps its own strings (`localized`), and numbers and dates
// are formatted by Intl for the chosen locale. The choice is remembered in localStorage.
import { store, useStore } from './store.ts'

export type Locale = 'en' | 'ru'
const KEY = 'candor.locale'

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(KEY)
    if (saved === 'en' || saved === 'ru') return saved
  } catch {
    // storage blocked: fall back to the browser's languages
  }
  const languages = typeof navigator === 'undefined' ? [] : navigator.languages ?? [navigator.language]
  for (const language of languages) {
    const base = language.toLowerCase().split('-')[0]
    if (base === 'ru') return 'ru'
    if (base === 'en') return 'en'
  }
  return 'en'
}

export const localeStore = store<Locale>(initialLocale())

export function getLocale(): Locale {
  return localeStore.get()
}

export function useLocale(): Locale {
  return useStore(localeStore)
}

export function setLocale(locale: Locale): void {
  try {
    localStorage.setItem(KEY, locale)
  } catch {
    // not remembered; still switched
  }
  if (typeof document !== 'undefined') document.documentElement.lang = locale
  localeStore.set(locale)
}

/** A module's own strings: `const text = localized({en: {...}, ru: {...}})`, then `text().title`. */
export function localized<T>(texts: { en: T; ru: T }): () => T {
  return () => texts[localeStore.get()]
}

const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>()
function cachedFormat<F extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => F): F {
  const full = `${localeStore.get()}|${key}`
  let format = formatters.get(full)
  if (!format) formatters.set(full, (format = make()))
  return format as F
}

/** 1234 → "1,234" / "1 234"; large numbers compact when `compact`. */
export function formatNumber(n: number, compact = false): string {
  const locale = localeStore.get()
  if (compact && Math.abs(n) >= 10_000) {
    return cachedFormat('compact', () => new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 })).format(n)
  }
  return cachedFormat('number', () => new Intl.NumberFormat(locale, { maximumFractionDigits: 2 })).format(n)
}

/** A percentage given as 0..100: 42.5 → "42.5%". */
export function formatPercent(n: number): string {
  return cachedFormat('percent', () => new Intl.NumberFormat(localeStore.get(), { style: 'percent', maximumFractionDigits: 1 })).format(n / 100)
}

/** Seconds as "1m 05s" / "1 мин 05 с"; hours when long. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  const [hu, mu, su] = localeStore.get() === 'ru' ? [' ч', ' мин', ' с'] : ['h', 'm', 's']
  const pad = (v: number) => String(v).padStart(2, '0')
  if (h > 0) return `${h}${hu} ${pad(m)}${mu}`
  if (m > 0) return `${m}${mu} ${pad(s)}${su}`
  return `${s}${su}`
}

/** A calendar day "YYYY-MM-DD" (or a time bucket "YYYY-MM-DD HH:MM:SS") in the locale's style. */
export function formatDate(day: string, withTime = false, short = false): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?/.exec(day)
  if (!match) return day
  const [, y, mo, d, hh, mm] = match
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(hh ?? 0), Number(mm ?? 0)))
  const options: Intl.DateTimeFormatOptions = withTime
    ? { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }
    : short
      ? { day: 'numeric', month: 'short', timeZone: 'UTC' }
      : { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }
  return cachedFormat(withTime ? 'datetime' : short ? 'shortdate' : 'date', () => new Intl.DateTimeFormat(localeStore.get(), options)).format(date)
}

/** A month bucket "YYYY-MM-01" as "Nov 2026". */
export function formatMonth(day: string): string {
  const match = /^(\d{4})-(\d{2})/.exec(day)
  if (!match) return day
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1))
  return cachedFormat('month', () => new Intl.DateTimeFormat(localeStore.get(), { month: 'short', year: 'numeric', timeZone: 'UTC' })).format(date)
}
