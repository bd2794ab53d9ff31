// Small pieces the account, administration, goals, funnels, consent and share pages have in
// common: loading data with its states, error messages a person can act on, field errors beside
// their field, tables of records, the date range in the URL, and saving a download.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import type { ComponentChildren } from 'preact'
import { ApiError, saveBlob } from '../api.ts'
import { readView, viewRange } from '../analytics/query.ts'
import { getLocale, localized } from '../i18n.ts'

const texts = localized({
  en: {
    loading: 'Loading…',
    retry: 'Try again',
    network: 'The server could not be reached. Check your connection and try again.',
    unexpected: 'Something went wrong',
    signIn: 'Your session has ended. Sign in again.',
    forbidden: 'You may not do this here.',
  },
  ru: {
    loading: 'Загрузка…',
    retry: 'Повторить',
    network: 'Сервер недоступен. Проверьте подключение и повторите.',
    unexpected: 'Что-то пошло не так',
    signIn: 'Сеанс завершён. Войдите снова.',
    forbidden: 'Здесь это вам недоступно.',
  },
})

export interface Loaded<T> {
  data: T | undefined
  error: unknown
  loading: boolean
  reload(): void
}

/** Runs `load` now and whenever `deps` change; answers that arrive after a newer request are dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true })
  const serial = useRef(0)
  const run = useCallback(() => {
    const mine = ++serial.current
    setState((previous) => ({ ...previous, loading: true, error: undefined }))
    load().then(
      (data) => mine === serial.current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => mine === serial.current && setState((previous) => ({ data: previous.data, error, loading: false })),
    )
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps)
  useEffect(() => {
    run()
    return () => {
      serial.current++
    }
  }, [run])
  return { ...state, reload: run }
}

/** The message to show for a failed request: the server's own, or one that says what to do. */
export function errorText(error: unknown): string {
  const t = texts()
  if (error instanceof ApiError) {
    if (error.status === 401) return t.signIn
    if (error.message) return error.message
    if (error.status === 403) return t.forbidden
    return `${t.unexpected} (${error.status})`
  }
  if (error instanceof TypeError) return t.network
  return error instanceof Error && error.message ? error.message : t.unexpected
}

/** Whether the field an error names is `field` or inside it. */
function matchesField(named: string, field: string): boolean {
  // Fields come as `steps.1.value`, `steps[1].value` or a JSON pointer `/steps/1/value`.
  const normal = (name: string) => name.replace(/^\//, '').replace(/\[(\d+)\]/g, '.$1').replace(/\//g, '.')
  const a = normal(named)
  const b = normal(field)
  return a === b || a.startsWith(`${b}/`) || a.startsWith(`${b}.`)
}

/** The field a failed request names, if any. */
export function errorField(error: unknown): string | undefined {
  return error instanceof ApiError && error.field ? error.field : undefined
}

export function Loading({ label }: { label?: string }) {
  return (
    <p class="state-loading" role="status" aria-live="polite">
      {label ?? texts().loading}
    </p>
  )
}

/** An error with a retry button when there is something to retry. Field errors show beside their field instead. */
export function ErrorNote({ error, onRetry, skipFields = [] }: { error: unknown; onRetry?: () => void; skipFields?: string[] }) {
  if (!error) return null
  const field = errorField(error)
  if (field && skipFields.some((f) => matchesField(field, f))) return null
  return (
    <div class="state-error" role="alert">
      <span>{errorText(error)}</span>
      {onRetry && (
        <button type="button" class="button-secondary" onClick={onRetry}>
          {texts().retry}
        </button>
      )}
    </div>
  )
}

/** The error of one field, shown next to it; `id` is what the input's aria-describedby names. */
export function FieldError({ error, field, id }: { error: unknown; field: string | string[]; id: string }) {
  const fields = Array.isArray(field) ? field : [field]
  const named = errorField(error)
  if (!named || !fields.some((f) => matchesField(named, f))) return null
  return (
    <span class="field-error" id={id} role="alert">
      {errorText(error)}
    </span>
  )
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state-empty">{children}</p>
}

export interface Column<T> {
  readonly label: string
  /** Read by screen readers only (a column of buttons). */
  readonly hiddenLabel?: boolean
  readonly numeric?: boolean
  readonly cell: (row: T) => ComponentChildren
}

/** A table of records: the first column heads each row; wrapped to scroll on narrow screens. */
export function DataTable<T>({ columns, rows, rowKey, wrap = true }: { columns: ReadonlyArray<Column<T>>; rows: readonly T[]; rowKey: (row: T, index: number) => string | number; wrap?: boolean }) {
  const table = (
    <table class="data-table">
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column.label} scope="col" class={column.numeric ? 'num' : undefined}>
              {column.hiddenLabel ? <span class="visually-hidden">{column.label}</span> : column.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, index) => (
          <tr key={rowKey(row, index)}>
            {columns.map((column, i) =>
              i === 0 ? (
                <th key={column.label} scope="row">{column.cell(row)}</th>
              ) : (
                <td key={column.label} class={column.numeric ? 'num' : undefined}>{column.cell(row)}</td>
              ),
            )}
          </tr>
        ))}
      </tbody>
    </table>
  )
  return wrap ? <div class="table-wrap">{table}</div> : table
}

/** Offers `data` as a JSON file download. */
export function saveJson(filename: string, data: unknown): void {
  saveBlob(filename, new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }))
}

export interface StatsRange {
  date_range: string | [string, string]
  date?: string
}

/** The Stats API date range the URL's ?period= names, as the analytics screen reads it. */
export function rangeFromQuery(query: URLSearchParams): StatsRange {
  return viewRange(readView(query))
}

/** An instant (ISO 8601 with zone) as a date and time in the viewer's zone, e.g. "Nov 28, 2026, 7:05 AM". */
export function formatInstant(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : new Intl.DateTimeFormat(getLocale(), { dateStyle: 'medium', timeStyle: 'short' }).format(date)
}

/** An instant as a date in the viewer's zone. */
export function formatDay(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : new Intl.DateTimeFormat(getLocale(), { dateStyle: 'medium' }).format(date)
}

/** A calendar day "YYYY-MM-DD…" as a short axis label, e.g. "28 Nov". */
export function formatShortDay(day: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(day)
  if (!match) return day
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
  return new Intl.DateTimeFormat(getLocale(), { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(date)
}

/** An hour bucket "YYYY-MM-DD HH:MM:SS" as its hour, e.g. "3 PM" / "15". */
export function formatHour(bucket: string): string {
  const match = /[ T](\d{2}):(\d{2})/.exec(bucket)
  if (!match) return bucket
  const date = new Date(Date.UTC(2000, 0, 1, Number(match[1]), Number(match[2])))
  return new Intl.DateTimeFormat(getLocale(), { hour: 'numeric', timeZone: 'UTC' }).format(date)
}

const names = new Map<string, Intl.DisplayNames>()
/** A country's name in the UI language; the code itself when the browser has no name for it. */
export function countryName(code: string, locale: string): string {
  try {
    let display = names.get(locale)
    if (!display) names.set(locale, (display = new Intl.DisplayNames([locale], { type: 'region' })))
    return display.of(code) ?? code
  } catch {
    return code
  }
}
