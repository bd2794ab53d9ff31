// The public dashboard of a site (no login): a password form when the site asks for one, then a
// read-only view of anonymous-tier numbers only — top stats, visitors over time, pages, sources,
// countries (with the map) and devices. The server leaves out rows with fewer than 5 visitors.
import { useEffect, useState } from 'preact/hooks'
import type { ComponentType } from 'preact'
import { api, apiBlob, ApiError, saveBlob } from '../api.ts'
import { formatDuration, formatNumber, formatPercent, getLocale, localized, useLocale } from '../i18n.ts'
import type { WorldMapProps } from '../map/world-map.tsx'
import { Empty, ErrorNote, FieldError, Loading, countryName, formatHour, formatShortDay, useLoad } from './page-kit.tsx'

interface ShareInfo {
  domain: string
  timezone: string
  password_required: boolean
  unlocked: boolean
}
interface QueryAnswer {
  results: Array<{ metrics: number[]; dimensions: string[] }>
}

const PERIODS = ['day', '7d', '30d', 'month', '12mo'] as const
type Period = (typeof PERIODS)[number]

const texts = localized({
  en: {
    title: (domain: string) => `${domain} — public dashboard`,
    notFound: 'This site has no public dashboard.',
    locked: 'This dashboard is protected by a password.',
    password: 'Password',
    unlock: 'Show the dashboard',
    unlocking: 'Checking…',
    period: 'Period',
    exportCsv: 'Export CSV',
    exportFailed: 'The export failed',
    periods: { day: 'Today', '7d': 'Last 7 days', '30d': 'Last 30 days', month: 'This month', '12mo': 'Last 12 months' } as Record<Period, string>,
    visitors: 'Unique visitors',
    visits: 'Visits',
    pageviews: 'Pageviews',
    bounce: 'Bounce rate',
    duration: 'Visit duration',
    graph: 'Visitors over time',
    pages: 'Top pages',
    page: 'Page',
    sources: 'Top sources',
    source: 'Source',
    countries: 'Countries',
    country: 'Country',
    devices: 'Devices',
    device: 'Device',
    none: 'No data for this period.',
    direct: 'Direct / none',
    privacy: 'Only aggregate numbers are shown; rows with fewer than 5 visitors are hidden.',
  },
  ru: {
    title: (domain: string) => `${domain} — публичная статистика`,
    notFound: 'У этого сайта нет публичной статистики.',
    locked: 'Эта статистика защищена паролем.',
    password: 'Пароль',
    unlock: 'Показать статистику',
    unlocking: 'Проверка…',
    period: 'Период',
    exportCsv: 'Экспорт CSV',
    exportFailed: 'Экспорт не удался',
    periods: { day: 'Сегодня', '7d': 'Последние 7 дней', '30d': 'Последние 30 дней', month: 'Этот месяц', '12mo': 'Последние 12 месяцев' } as Record<Period, string>,
    visitors: 'Уникальные посетители',
    visits: 'Визиты',
    pageviews: 'Просмотры',
    bounce: 'Отказы',
    duration: 'Длительность визита',
    graph: 'Посетители во времени',
    pages: 'Популярные страницы',
    page: 'Страница',
    sources: 'Источники',
    source: 'Источник',
    countries: 'Страны',
    country: 'Страна',
    devices: 'Устройства',
    device: 'Устройство',
    none: 'Нет данных за этот период.',
    direct: 'Прямые заходы',
    privacy: 'Показаны только совокупные числа; строки, где меньше 5 посетителей, скрыты.',
  },
})

export function SharePage({ domain }: { domain: string }) {
  useLocale()
  const t = texts()
  const info = useLoad(() => api<ShareInfo>('GET', `/api/share/${encodeURIComponent(domain)}`), [domain])
  if (info.loading && !info.data) return <Loading />
  if (info.error instanceof ApiError && info.error.status === 404)
    return (
      <div class="page page-share">
        <p class="state-empty">{t.notFound}</p>
      </div>
    )
  if (!info.data) return <ErrorNote error={info.error} onRetry={info.reload} />
  return (
    <div class="page page-share">
      <h1>{t.title(info.data.domain)}</h1>
      {info.data.password_required && !info.data.unlocked ? <Unlock domain={domain} onUnlocked={info.reload} /> : <ShareView domain={info.data.domain} />}
    </div>
  )
}

function Unlock({ domain, onUnlocked }: { domain: string; onUnlocked(): void }) {
  const t = texts()
  const [password, setPassword] = useState('')
  const [state, setState] = useState<{ busy: boolean; error?: unknown }>({ busy: false })
  const submit = async (event: Event) => {
    event.preventDefault()
    setState({ busy: true })
    try {
      await api('POST', `/api/share/${encodeURIComponent(domain)}/unlock`, { password })
      setState({ busy: false })
      onUnlocked()
    } catch (error) {
      setState({ busy: false, error })
    }
  }
  return (
    <section class="card narrow">
      <p>{t.locked}</p>
      <form onSubmit={submit} class="form-grid">
        <div class="field">
          <label for="share-password">{t.password}</label>
          <input id="share-password" type="password" autocomplete="current-password" value={password} onInput={(event) => setPassword(event.currentTarget.value)} aria-describedby="share-password-error" required />
          {/* A wrong password is a 401 without a field; show it beside the field all the same. */}
          {state.error instanceof ApiError && state.error.status === 401 ? (
            <span class="field-error" id="share-password-error" role="alert">
              {state.error.message}
            </span>
          ) : (
            <FieldError error={state.error} field="password" id="share-password-error" />
          )}
        </div>
        {!(state.error instanceof ApiError && state.error.status === 401) && <ErrorNote error={state.error} skipFields={['password']} />}
        <div class="actions">
          <button type="submit" disabled={state.busy}>
            {state.busy ? t.unlocking : t.unlock}
          </button>
        </div>
      </form>
    </section>
  )
}

function useShareQuery(domain: string, body: Record<string, unknown>) {
  const key = JSON.stringify(body)
  return useLoad(() => api<QueryAnswer>('POST', `/api/share/${encodeURIComponent(domain)}/query`, { site_id: domain, ...body }), [domain, key])
}

function ShareView({ domain }: { domain: string }) {
  const t = texts()
  const [period, setPeriod] = useState<Period>('30d')
  const range = { date_range: period }
  const top = useShareQuery(domain, { ...range, metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'] })
  const graph = useShareQuery(domain, { ...range, metrics: ['visitors'], dimensions: [period === 'day' ? 'time:hour' : period === '12mo' ? 'time:month' : 'time:day'], include: { time_labels: true } })
  const metrics = top.data?.results[0]?.metrics
  return (
    <>
      <div class="toolbar">
        <label for="share-period">{t.period}</label>
        <select id="share-period" value={period} onChange={(event) => setPeriod(event.currentTarget.value as Period)}>
          {PERIODS.map((p) => (
            <option key={p} value={p}>
              {t.periods[p]}
            </option>
          ))}
        </select>
        <ExportButton domain={domain} range={range} />
      </div>
      <p class="muted small">{t.privacy}</p>
      <section class="card" aria-label={t.visitors}>
        {top.loading && !top.data && <Loading />}
        <ErrorNote error={top.error} onRetry={top.reload} />
        {metrics && (
          <dl class="top-stats">
            <div>
              <dt>{t.visitors}</dt>
              <dd data-stat="visitors">{formatNumber(metrics[0] ?? 0)}</dd>
            </div>
            <div>
              <dt>{t.visits}</dt>
              <dd data-stat="visits">{formatNumber(metrics[1] ?? 0)}</dd>
            </div>
            <div>
              <dt>{t.pageviews}</dt>
              <dd data-stat="pageviews">{formatNumber(metrics[2] ?? 0)}</dd>
            </div>
            <div>
              <dt>{t.bounce}</dt>
              <dd data-stat="bounce_rate">{formatPercent(metrics[3] ?? 0)}</dd>
            </div>
            <div>
              <dt>{t.duration}</dt>
              <dd data-stat="visit_duration">{formatDuration(metrics[4] ?? 0)}</dd>
            </div>
          </dl>
        )}
      </section>
      <section class="card" aria-labelledby="share-graph">
        <h2 id="share-graph">{t.graph}</h2>
        {graph.loading && !graph.data && <Loading />}
        <ErrorNote error={graph.error} onRetry={graph.reload} />
        {graph.data && <LineChart label={t.graph} points={graph.data.results.map((row) => ({ label: row.dimensions[0] ?? '', value: row.metrics[0] ?? 0 }))} hourly={period === 'day'} />}
      </section>
      <div class="card-grid">
        <Breakdown domain={domain} range={range} dimension="event:page" title={t.pages} column={t.page} />
        <Breakdown domain={domain} range={range} dimension="visit:source" title={t.sources} column={t.source} blank={t.direct} />
        <Countries domain={domain} range={range} />
        <Breakdown domain={domain} range={range} dimension="visit:device" title={t.devices} column={t.device} />
      </div>
    </>
  )
}

function Breakdown({ domain, range, dimension, title, column, blank }: { domain: string; range: Record<string, unknown>; dimension: string; title: string; column: string; blank?: string }) {
  const t = texts()
  const rows = useShareQuery(domain, { ...range, metrics: ['visitors'], dimensions: [dimension], order_by: [['visitors', 'desc']], pagination: { limit: 10, offset: 0 } })
  const id = `share-${dimension.replace(/\W/g, '-')}`
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {rows.loading && !rows.data && <Loading />}
      <ErrorNote error={rows.error} onRetry={rows.reload} />
      {rows.data && rows.data.results.length === 0 && <Empty>{t.none}</Empty>}
      {rows.data && rows.data.results.length > 0 && <RowsTable column={column} rows={rows.data.results.map((row) => ({ label: row.dimensions[0] || blank || '—', value: row.metrics[0] ?? 0 }))} />}
    </section>
  )
}

function RowsTable({ column, rows }: { column: string; rows: Array<{ label: string; value: number }> }) {
  const t = texts()
  const max = Math.max(1, ...rows.map((row) => row.value))
  return (
    <table class="data-table bars-table">
      <thead>
        <tr>
          <th scope="col">{column}</th>
          <th scope="col" class="num">
            {t.visitors}
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.label}>
            <th scope="row" class="bar-cell">
              <span class="row-bar" style={{ width: `${(row.value / max) * 100}%` }} aria-hidden="true" />
              <span class="row-label">{row.label}</span>
            </th>
            <td class="num">{formatNumber(row.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function Countries({ domain, range }: { domain: string; range: Record<string, unknown> }) {
  const t = texts()
  const rows = useShareQuery(domain, { ...range, metrics: ['visitors'], dimensions: ['visit:country'], order_by: [['visitors', 'desc']], pagination: { limit: 250, offset: 0 } })
  // The map loads on its own, after the numbers.
  const [Map, setMap] = useState<ComponentType<WorldMapProps> | null>(null)
  useEffect(() => {
    let live = true
    import('../map/world-map.tsx').then((module) => live && setMap(() => module.WorldMap), () => undefined)
    return () => {
      live = false
    }
  }, [])
  const data = (rows.data?.results ?? []).filter((row) => row.dimensions[0]).map((row) => ({ code: row.dimensions[0]!, visitors: row.metrics[0] ?? 0 }))
  return (
    <section class="card" aria-labelledby="share-countries">
      <h2 id="share-countries">{t.countries}</h2>
      {rows.loading && !rows.data && <Loading />}
      <ErrorNote error={rows.error} onRetry={rows.reload} />
      {rows.data && data.length === 0 && <Empty>{t.none}</Empty>}
      {rows.data && data.length > 0 && Map && <Map data={data} onSelect={() => undefined} />}
      {rows.data && data.length > 0 && (
        <RowsTable
          column={t.country}
          rows={data.slice(0, 10).map((row) => ({ label: countryName(row.code, getLocale()), value: row.visitors }))}
        />
      )}
    </section>
  )
}


const LINE_W = 720
const LINE_H = 200
const LEFT = 44
const BOTTOM = 24

/** Visitors over time as a line with the last point's value; the numbers are also in a hidden table. */
function LineChart({ label, points, hourly }: { label: string; points: Array<{ label: string; value: number }>; hourly: boolean }) {
  const t = texts()
  if (points.length === 0) return <Empty>{t.none}</Empty>
  const max = Math.max(1, ...points.map((point) => point.value))
  const plotH = LINE_H - BOTTOM
  const x = (index: number) => LEFT + (points.length === 1 ? (LINE_W - LEFT) / 2 : (index * (LINE_W - LEFT - 8)) / (points.length - 1))
  const y = (value: number) => plotH - (value / max) * (plotH - 10)
  const d = points.map((point, index) => `${index === 0 ? 'M' : 'L'}${x(index).toFixed(1)},${y(point.value).toFixed(1)}`).join('')
  const every = Math.ceil(points.length / 7)
  const tickLabel = (value: string) => (hourly ? formatHour(value) : formatShortDay(value))
  return (
    <figure class="line-chart">
      <svg viewBox={`0 0 ${LINE_W} ${LINE_H}`} role="img" aria-label={label} class="chart-svg">
        {[0, 0.5, 1].map((f) => (
          <g key={f} class="chart-grid">
            <line x1={LEFT} x2={LINE_W} y1={y(max * f)} y2={y(max * f)} />
            <text x={LEFT - 6} y={y(max * f) + 4} text-anchor="end" class="chart-axis">
              {formatNumber(Math.round(max * f))}
            </text>
          </g>
        ))}
        <path d={d} class="line" />
        {points.map((point, index) => (
          <g key={point.label}>
            <circle cx={x(index)} cy={y(point.value)} r={3} class="dot">
              <title>{`${tickLabel(point.label)}: ${formatNumber(point.value)}`}</title>
            </circle>
            {index % every === 0 && (
              <text x={x(index)} y={LINE_H - 6} text-anchor="middle" class="chart-axis">
                {tickLabel(point.label)}
              </text>
            )}
          </g>
        ))}
      </svg>
      <table class="visually-hidden">
        <caption>{label}</caption>
        <tbody>
          {points.map((point) => (
            <tr key={point.label}>
              <th scope="row">{tickLabel(point.label)}</th>
              <td>{formatNumber(point.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  )
}

/** The view's public cards as CSV files in a zip (POST /api/share/:domain/export). */
function ExportButton({ domain, range }: { domain: string; range: Record<string, unknown> }) {
  const t = texts()
  const [state, setState] = useState<{ busy: boolean; error: unknown }>({ busy: false, error: null })
  const run = async () => {
    setState({ busy: true, error: null })
    try {
      const blob = await apiBlob('POST', `/api/share/${encodeURIComponent(domain)}/export`, { site_id: domain, ...range })
      saveBlob(`${domain}-${new Date().toISOString().slice(0, 10)}.zip`, blob)
      setState({ busy: false, error: null })
    } catch (error) {
      setState({ busy: false, error })
    }
  }
  return (
    <>
      <button type="button" class="button-secondary" data-testid="share-export" disabled={state.busy} onClick={run}>
        {t.exportCsv}
      </button>
      {state.error ? <span class="field-error" role="alert">{`${t.exportFailed}: ${state.error instanceof ApiError ? state.error.message : String(state.error)}`}</span> : null}
    </>
  )
}
