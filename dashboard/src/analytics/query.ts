// The analytics view's state lives in the URL (?period=30d&compare=1&f=visit:country,is,DE…), so
// a view can be bookmarked; this turns it into Stats API queries and loads them.
import { useEffect, useState } from 'preact/hooks'
import { api, ApiError } from '../api.ts'
import { navigate } from '../router.ts'
import { loginPath } from '../login.tsx'

export type Filter = [op: 'is' | 'is_not' | 'contains' | 'contains_not', dimension: string, values: string[]]

export interface StatsQuery {
  site_id: string
  metrics: string[]
  date_range: string | [string, string]
  date?: string
  dimensions?: string[]
  filters?: Filter[]
  order_by?: Array<[string, 'asc' | 'desc']>
  include?: { total_rows?: boolean; time_labels?: boolean }
  pagination?: { limit?: number; offset?: number }
}

export interface StatsResult {
  results: Array<{ metrics: number[]; dimensions: string[] }>
  meta: { total_rows?: number; time_labels?: string[] }
  query: { date_range: string[]; timezone: string }
}

export const PERIODS = ['realtime', 'day', 'yesterday', '7d', '30d', 'month', 'lastmonth', '12mo', 'all', 'custom'] as const
export type Period = (typeof PERIODS)[number]

const DAY = /^\d{4}-\d{2}-\d{2}$/
const OPS = new Set(['is', 'is_not', 'contains', 'contains_not'])

export interface View {
  period: Period
  from: string
  to: string
  compare: boolean
  filters: Filter[]
}

export function readView(params: URLSearchParams): View {
  const raw = params.get('period') ?? '30d'
  const period = (PERIODS as readonly string[]).includes(raw) ? (raw as Period) : '30d'
  const filters: Filter[] = []
  for (const f of params.getAll('f')) {
    // "dimension,op,value": the value may hold commas, the dimension and operator never do
    const first = f.indexOf(',')
    const second = f.indexOf(',', first + 1)
    if (first < 0 || second < 0) continue
    const op = f.slice(first + 1, second)
    if (!OPS.has(op)) continue
    filters.push([op as Filter[0], f.slice(0, first), [f.slice(second + 1)]])
  }
  const from = params.get('from') ?? ''
  const to = params.get('to') ?? ''
  return { period: period === 'custom' && !(DAY.test(from) && DAY.test(to)) ? '30d' : period, from, to, compare: params.get('compare') === '1', filters }
}

export function viewSearch(view: View): string {
  const params = new URLSearchParams()
  if (view.period !== '30d') params.set('period', view.period)
  if (view.period === 'custom') {
    params.set('from', view.from)
    params.set('to', view.to)
  }
  if (view.compare) params.set('compare', '1')
  for (const [op, dimension, values] of view.filters) params.append('f', `${dimension},${op},${values[0] ?? ''}`)
  const search = params.toString()
  return search ? `?${search.replace(/%3A/g, ':').replace(/%2C/g, ',')}` : ''
}

export function setView(path: string, view: View, replace = false): void {
  navigate(path + viewSearch(view), { replace })
}

/** The Stats API date range of a view. */
export function viewRange(view: View): { date_range: string | [string, string]; date?: string } {
  switch (view.period) {
    case 'realtime':
      return { date_range: '30m' }
    // The site's calendar, not the browser's: the server resolves these in the site's time zone.
    case 'yesterday':
      return { date_range: 'yesterday' }
    case 'lastmonth':
      return { date_range: 'last_month' }
    case 'custom':
      return { date_range: view.from <= view.to ? [view.from, view.to] : [view.to, view.from] }
    default:
      return { date_range: view.period }
  }
}

function shift(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`)
  date.setUTCDate(date.getUTCDate() + days)
  return date.toISOString().slice(0, 10)
}

/**
 * The period before the one a query answered for (its resolved [from, to), site-local times):
 * as many days, ending the day before it starts.
 */
export function previousRange(resolved: string[] | undefined): [string, string] | null {
  const from = resolved?.[0]?.slice(0, 10)
  const to = resolved?.[1]?.slice(0, 10)
  if (!from || !to || !DAY.test(from) || !DAY.test(to)) return null
  const days = Math.max(1, Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000))
  return [shift(from, -days), shift(from, -1)]
}

const cache = new Map<string, StatsResult>()

export function stats(query: StatsQuery): Promise<StatsResult> {
  return api<StatsResult>('POST', '/api/v2/query', query)
}

export interface Loaded<T> {
  data: T | undefined
  error: unknown
  loading: boolean
}

/**
 * Loads a query (null: not yet) and keeps the last answer while a new one loads, so numbers do
 * not flicker. Signed out → the login page, coming back here. `refresh` forces a new request.
 */
export function useStats(query: StatsQuery | null, refresh = 0): Loaded<StatsResult> {
  const key = query ? JSON.stringify(query) : ''
  const [state, setState] = useState<Loaded<StatsResult>>(() => ({ data: key ? cache.get(key) : undefined, error: null, loading: !!key }))
  useEffect(() => {
    if (!query) return
    let live = true
    const hit = refresh === 0 ? cache.get(key) : undefined
    if (hit) {
      setState({ data: hit, error: null, loading: false })
      return
    }
    setState((old) => ({ data: old.data, error: null, loading: true }))
    stats(query).then(
      (data) => {
        if (cache.size > 200) cache.clear()
        cache.set(key, data)
        if (live) setState({ data, error: null, loading: false })
      },
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 401) navigate(loginPath(), { replace: true })
        if (live) setState({ data: undefined, error, loading: false })
      },
    )
    return () => {
      live = false
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, refresh])
  return state
}
