// The analytics screen of one site (/sites/:domain): site and date range pickers, comparison,
// filter chips, the top numbers, the graph, realtime visitors and the breakdown cards.
import { useEffect, useState } from 'preact/hooks'
import { api, apiBlob, ApiError, saveBlob } from '../api.ts'
import { formatPercent, localized } from '../i18n.ts'
import { Link, navigate, useRoute } from '../router.ts'
import { loginPath } from '../login.tsx'
import { Card, CARDS, metricName, valueLabel, type CardContext } from './cards.tsx'
import { dimensionName, FilterMenu } from './filter-menu.tsx'
import { formatMetric, Graph, type Interval } from './graph.tsx'
import { PERIODS, previousRange, readView, setView, useStats, viewRange, type Filter, type Period, type StatsQuery, type View } from './query.ts'
import { ErrorLine, errorMessage, Loading } from './states.tsx'

const text = localized({
  en: {
    site: 'Site',
    period: 'Period',
    periods: { realtime: 'Realtime', day: 'Today', yesterday: 'Yesterday', '7d': 'Last 7 days', '30d': 'Last 30 days', month: 'This month', lastmonth: 'Last month', '12mo': 'Last 12 months', all: 'All time', custom: 'Custom range' } as Record<Period, string>,
    from: 'From',
    to: 'To',
    apply: 'Apply',
    compare: 'Compare with previous period',
    current: (n: string) => `${n} current visitors`,
    filters: 'Filters',
    remove: (f: string) => `Remove filter ${f}`,
    clear: 'Clear all',
    ops: { is: 'is', is_not: 'is not', contains: 'contains', contains_not: 'does not contain' } as Record<string, string>,
    export: 'Export CSV',
    exporting: 'Exporting…',
    exportFailed: 'The export failed',
    granularity: 'Granularity',
    intervals: { minute: 'Minutes', hour: 'Hours', day: 'Days', week: 'Weeks', month: 'Months' } as Record<Interval, string>,
    vsPrevious: 'vs previous period',
    goals: 'Goals',
    funnels: 'Funnels',
    consent: 'Consent',
    settings: 'Settings',
    notFound: 'This site does not exist or you do not have access to it.',
    toSites: 'Go to your sites',
  },
  ru: {
    site: 'Сайт',
    period: 'Период',
    periods: { realtime: 'Сейчас', day: 'Сегодня', yesterday: 'Вчера', '7d': 'Последние 7 дней', '30d': 'Последние 30 дней', month: 'Этот месяц', lastmonth: 'Прошлый месяц', '12mo': 'Последние 12 месяцев', all: 'Всё время', custom: 'Выбрать даты' } as Record<Period, string>,
    from: 'С',
    to: 'По',
    apply: 'Применить',
    compare: 'Сравнить с предыдущим периодом',
    current: (n: string) => `Сейчас на сайте: ${n}`,
    filters: 'Фильтры',
    remove: (f: string) => `Убрать фильтр ${f}`,
    clear: 'Сбросить все',
    ops: { is: '=', is_not: '≠', contains: 'содержит', contains_not: 'не содержит' } as Record<string, string>,
    export: 'Экспорт CSV',
    exporting: 'Экспорт…',
    exportFailed: 'Экспорт не удался',
    granularity: 'Шаг',
    intervals: { minute: 'Минуты', hour: 'Часы', day: 'Дни', week: 'Недели', month: 'Месяцы' } as Record<Interval, string>,
    vsPrevious: 'к предыдущему периоду',
    goals: 'Цели',
    funnels: 'Воронки',
    consent: 'Согласия',
    settings: 'Настройки',
    notFound: 'Такого сайта нет, или у вас нет к нему доступа.',
    toSites: 'К вашим сайтам',
  },
})

const TOP = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration']
function defaultInterval(view: View): Interval {
  if (view.period === 'realtime') return 'minute'
  if (view.period === 'day' || view.period === 'yesterday') return 'hour'
  if (view.period === '12mo' || view.period === 'all') return 'month'
  return 'day'
}

interface SiteEntry {
  site: { domain: string }
  role: string
}

export function AnalyticsPage({ domain }: { domain: string }) {
  const t = text()
  const { path, params } = useRoute()
  const view = readView(params)
  const [sites, setSites] = useState<SiteEntry[] | null>(null)
  const [sitesError, setSitesError] = useState<unknown>(null)
  const [metric, setMetric] = useState('visitors')
  const [interval, setInterval_] = useState<Interval | null>(null)
  const [tick, setTick] = useState(0)

  useEffect(() => {
    api<{ sites: SiteEntry[] }>('GET', '/api/sites').then(
      (answer) => setSites(answer.sites),
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 401) navigate(loginPath(), { replace: true })
        setSitesError(error)
      },
    )
  }, [])
  // Realtime numbers refresh themselves every 30 s.
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), 30_000)
    return () => clearInterval(timer)
  }, [])
  useEffect(() => setInterval_(null), [view.period])

  const known = sites?.some((s) => s.site.domain === domain)
  if (sites && !known) {
    return (
      <div class="panel" role="alert" data-testid="site-not-found">
        <p>{t.notFound}</p>
        <Link href="/sites">{t.toSites}</Link>
      </div>
    )
  }
  if (sitesError) return <ErrorLine error={sitesError} />

  const range = viewRange(view)
  const base: Omit<StatsQuery, 'metrics' | 'dimensions'> = { site_id: domain, ...range }
  if (view.filters.length > 0) base.filters = view.filters
  const realtime = view.period === 'realtime'
  const compare = view.compare && !realtime && view.period !== 'all'
  const granularity = interval ?? defaultInterval(view)
  const change = (next: Partial<View>) => setView(path, { ...view, ...next })
  const addFilter = (filter: Filter) => {
    const rest = view.filters.filter((f) => f[1] !== filter[1])
    change({ filters: [...rest, filter] })
  }
  const context: CardContext = {
    base,
    onFilter: addFilter,
    loadMap: () => import('../map/world-map.tsx').then((m) => m.WorldMap as never),
  }

  return (
    <div class="analytics">
      <div class="toolbar">
        <label>
          <span class="visually-hidden">{t.site}</span>
          <select
            data-testid="site-picker"
            value={domain}
            onChange={(e) => navigate(`/sites/${encodeURIComponent((e.currentTarget as HTMLSelectElement).value)}${location.search}`)}
          >
            {(sites ?? [{ site: { domain }, role: '' }]).map((s) => (
              <option key={s.site.domain} value={s.site.domain}>{s.site.domain}</option>
            ))}
          </select>
        </label>
        <Realtime domain={domain} filters={view.filters} tick={tick} onClick={() => change({ period: 'realtime' })} />
        <span class="spacer" />
        <PeriodPicker view={view} onChange={change} />
        {!realtime && view.period !== 'all' && (
          <label class="check">
            <input type="checkbox" data-testid="compare" checked={view.compare} onChange={(e) => change({ compare: e.currentTarget.checked })} />
            {t.compare}
          </label>
        )}
        <ExportButton base={base} />
      </div>
      <nav class="site-nav" aria-label={domain}>
        <Link href={`/sites/${encodeURIComponent(domain)}/goals`}>{t.goals}</Link>
        <Link href={`/sites/${encodeURIComponent(domain)}/funnels${location.search}`}>{t.funnels}</Link>
        <Link href={`/sites/${encodeURIComponent(domain)}/consent`}>{t.consent}</Link>
        <Link href={`/sites/${encodeURIComponent(domain)}/settings`}>{t.settings}</Link>
      </nav>
      <div class="filter-bar">
        <FilterMenu base={base} onApply={addFilter} />
        {view.filters.length > 0 && (
          <ul class="chips" aria-label={t.filters} data-testid="filters">
            {view.filters.map((f, i) => {
              const label = `${dimensionName(f[1])} ${t.ops[f[0]] ?? f[0]} ${valueLabel(f[1], f[2][0] ?? '')}`
              return (
                <li key={i} class="chip">
                  <span>{label}</span>
                  <button type="button" aria-label={t.remove(label)} onClick={() => change({ filters: view.filters.filter((_, j) => j !== i) })}>×</button>
                </li>
              )
            })}
            <li>
              <button type="button" class="link-button" onClick={() => change({ filters: [] })}>{t.clear}</button>
            </li>
          </ul>
        )}
      </div>
      <TopAndGraph base={base} compare={compare} metric={metric} onMetric={setMetric} interval={granularity} onInterval={setInterval_} realtime={realtime} tick={tick} />
      <div class="cards">
        {CARDS.filter((c) => !realtime || c.key === 'pages' || c.key === 'sources').map((spec) => (
          <Card key={spec.key} spec={spec} context={context} />
        ))}
      </div>
    </div>
  )
}

function Realtime({ domain, filters, tick, onClick }: { domain: string; filters: Filter[]; tick: number; onClick(): void }) {
  const query: StatsQuery = { site_id: domain, metrics: ['visitors'], date_range: 'realtime' }
  if (filters.length > 0) query.filters = filters
  const result = useStats(query, tick)
  const n = result.data?.results[0]?.metrics[0]
  return (
    <button type="button" class="realtime" data-testid="realtime" onClick={onClick} aria-live="polite">
      <span class="pulse" aria-hidden="true" />
      {text().current(n === undefined ? '…' : formatMetric('visitors', n))}
    </button>
  )
}

function PeriodPicker({ view, onChange }: { view: View; onChange(next: Partial<View>): void }) {
  const t = text()
  const today = new Date().toISOString().slice(0, 10)
  const [from, setFrom] = useState(view.from || today)
  const [to, setTo] = useState(view.to || today)
  const [custom, setCustom] = useState(view.period === 'custom')
  useEffect(() => setCustom(view.period === 'custom'), [view.period])
  return (
    <div class="period">
      <label>
        <span class="visually-hidden">{t.period}</span>
        <select
          data-testid="period"
          value={custom ? 'custom' : view.period}
          onChange={(e) => {
            const value = (e.currentTarget as HTMLSelectElement).value as Period
            if (value === 'custom') setCustom(true)
            else {
              setCustom(false)
              onChange({ period: value })
            }
          }}
        >
          {PERIODS.map((p) => <option key={p} value={p}>{t.periods[p]}</option>)}
        </select>
      </label>
      {custom && (
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault()
            onChange({ period: 'custom', from: from <= to ? from : to, to: from <= to ? to : from })
          }}
        >
          <label>{t.from} <input type="date" required value={from} max={today} onInput={(e) => setFrom(e.currentTarget.value)} /></label>
          <label>{t.to} <input type="date" required value={to} max={today} onInput={(e) => setTo(e.currentTarget.value)} /></label>
          <button type="submit" class="button-secondary">{t.apply}</button>
        </form>
      )}
    </div>
  )
}

function ExportButton({ base }: { base: CardContext['base'] }) {
  const t = text()
  const [state, setState] = useState<{ busy: boolean; error: unknown }>({ busy: false, error: null })
  const run = async () => {
    setState({ busy: true, error: null })
    try {
      const blob = await apiBlob('POST', '/api/v2/export', base)
      saveBlob(`${base.site_id}-${new Date().toISOString().slice(0, 10)}.zip`, blob)
      setState({ busy: false, error: null })
    } catch (error) {
      setState({ busy: false, error })
    }
  }
  return (
    <span class="export">
      <button type="button" class="button-secondary" data-testid="export" disabled={state.busy} onClick={run}>
        {state.busy ? t.exporting : t.export}
      </button>
      {state.error ? <span class="state-error" role="alert">{`${t.exportFailed}: ${errorMessage(state.error)}`}</span> : null}
    </span>
  )
}

function TopAndGraph({ base, compare, metric, onMetric, interval, onInterval, realtime, tick }: {
  base: CardContext['base']
  compare: boolean
  metric: string
  onMetric(metric: string): void
  interval: Interval
  onInterval(interval: Interval): void
  realtime: boolean
  tick: number
}) {
  const t = text()
  const top = useStats({ ...base, metrics: TOP }, realtime ? tick : 0)
  const previousDates = compare ? previousRange(top.data?.query.date_range) : null
  const previousBase = previousDates ? { ...base, date_range: previousDates } : null
  if (previousBase) delete previousBase.date
  const previous = useStats(previousBase ? { ...previousBase, metrics: TOP } : null)
  const dimension = `time:${interval}`
  const graph = useStats({ ...base, metrics: [metric], dimensions: [dimension], include: { time_labels: true } }, realtime ? tick : 0)
  const previousGraph = useStats(previousBase ? { ...previousBase, metrics: [metric], dimensions: [dimension], include: { time_labels: true } } : null)

  if (top.error) return <ErrorLine error={top.error} />
  const values = top.data?.results[0]?.metrics
  const before = compare ? previous.data?.results[0]?.metrics : undefined
  const series = (data: typeof graph.data) => {
    const labels = data?.meta.time_labels ?? data?.results.map((r) => r.dimensions[0] ?? '') ?? []
    const byLabel = new Map(data?.results.map((r) => [r.dimensions[0] ?? '', r.metrics[0] ?? 0]))
    return { labels, values: labels.map((l) => byLabel.get(l) ?? 0) }
  }
  const now = series(graph.data)
  const then = compare && previousGraph.data ? series(previousGraph.data).values : undefined
  const intervals: Interval[] = realtime ? ['minute'] : ['hour', 'day', 'week', 'month']
  return (
    <section class="panel top" aria-label={metricName(metric)}>
      <ul class="numbers" data-testid="top-stats">
        {TOP.map((m, i) => {
          const value = values?.[i]
          const old = before?.[i]
          const delta = value !== undefined && old !== undefined && old !== 0 ? ((value - old) / old) * 100 : null
          // fewer bounces and more time are good: colour the change by what it means
          const good = delta !== null && (m === 'bounce_rate' ? delta < 0 : delta > 0)
          return (
            <li key={m}>
              <button type="button" class={m === metric ? 'number selected' : 'number'} aria-pressed={m === metric} data-metric={m} onClick={() => onMetric(m)}>
                <span class="number-label">{metricName(m)}</span>
                <span class="number-value">{value === undefined ? '…' : formatMetric(m, value)}</span>
                {delta !== null && (
                  <span class={good ? 'delta good' : 'delta bad'} title={t.vsPrevious}>
                    {delta >= 0 ? '↑' : '↓'} {formatPercent(Math.abs(delta))}
                  </span>
                )}
              </button>
            </li>
          )
        })}
      </ul>
      <div class="graph-head">
        <div class="tabs" role="group" aria-label={t.granularity}>
          {intervals.map((i) => (
            <button key={i} type="button" class="tab" aria-pressed={i === interval} onClick={() => onInterval(i)}>{t.intervals[i]}</button>
          ))}
        </div>
      </div>
      {graph.error ? <ErrorLine error={graph.error} /> : !graph.data ? <Loading /> : (
        <Graph labels={now.labels} values={now.values} previous={then} metric={metric} metricName={metricName(metric)} interval={interval} />
      )}
    </section>
  )
}
