// The consent report of a site: decisions per day by kind (stacked bars), grant rate per
// category, decisions per policy version, the share of visits in full versus anonymous mode; and
// the lookup of one consent id's history, for a data subject's request.
import { useState } from 'preact/hooks'
import { api } from '../api.ts'
import { formatDate, formatNumber, formatPercent, localized, useLocale } from '../i18n.ts'
import { Empty, ErrorNote, FieldError, Loading, formatInstant, formatShortDay, useLoad } from './page-kit.tsx'
import { useRoute } from '../router.ts'

interface Day {
  day: string
  accept_all: number
  reject_all: number
  custom: number
  withdraw: number
  gpc: number
  expired_reprompt: number
  total: number
}
interface Report {
  days: Day[]
  categories: Array<{ category: string; granted: number; decisions: number; rate: number }>
  versions: Array<{ version: number; decisions: number; accept_all: number; reject_all: number; custom: number }>
  visits: { full: number; anonymous: number; full_share: number }
}
interface HistoryRecord {
  eventId: string
  time: string
  method: string
  granted: string[]
  denied: string[]
  policyVersion: number
  configVersion: number
  bannerVersion: string
  textsSha256: string
  language: string
  path: string
  gpc: boolean
  country: string
  browser: string
  previousConsentId: string | null
}

const KINDS = ['accept_all', 'reject_all', 'custom', 'withdraw', 'gpc'] as const
type Kind = (typeof KINDS)[number]

const texts = localized({
  en: {
    title: 'Consent',
    perDay: 'Decisions per day',
    chartLabel: 'Consent decisions per day, stacked by kind',
    kinds: { accept_all: 'Accept all', reject_all: 'Reject all', custom: 'Custom', withdraw: 'Withdrawn', gpc: 'GPC' } as Record<Kind, string>,
    day: 'Day',
    total: 'Total',
    empty: 'No consent decisions in this period.',
    categories: 'Grant rate per category',
    category: 'Category',
    granted: 'Granted',
    decisions: 'Decisions',
    rate: 'Grant rate',
    versions: 'Per policy version',
    version: 'Policy version',
    visits: 'Visits in full and anonymous mode',
    full: 'Full (consented)',
    anonymous: 'Anonymous',
    fullShare: 'Share in full mode',
    lookup: 'Look up a consent id',
    lookupHint: 'For a data subject request: the id is in the visitor’s consent record download.',
    consentId: 'Consent id',
    find: 'Find',
    finding: 'Looking up…',
    badId: 'A consent id looks like 123e4567-e89b-12d3-a456-426614174000.',
    history: (id: string) => `History of ${id}`,
    time: 'Time',
    method: 'Decision',
    denied: 'Denied',
    policy: 'Policy',
    config: 'Config',
    language: 'Language',
    page: 'Page',
    country: 'Country',
    browser: 'Browser',
    previous: 'Previous consent',
    none: '—',
    yes: 'yes',
    reprompt: 'Asked again (expired or new policy)',
  },
  ru: {
    title: 'Согласия',
    perDay: 'Решения по дням',
    chartLabel: 'Решения о согласии по дням, по видам',
    kinds: { accept_all: 'Принять всё', reject_all: 'Отклонить всё', custom: 'Выборочно', withdraw: 'Отозвано', gpc: 'GPC' } as Record<Kind, string>,
    day: 'День',
    total: 'Всего',
    empty: 'За этот период решений о согласии нет.',
    categories: 'Доля согласий по категориям',
    category: 'Категория',
    granted: 'Разрешено',
    decisions: 'Решений',
    rate: 'Доля согласий',
    versions: 'По версиям политики',
    version: 'Версия политики',
    visits: 'Визиты в полном и анонимном режиме',
    full: 'Полный (с согласием)',
    anonymous: 'Анонимный',
    fullShare: 'Доля полного режима',
    lookup: 'Найти согласие по id',
    lookupHint: 'Для запроса субъекта данных: id есть в скачанной посетителем записи о согласии.',
    consentId: 'Id согласия',
    find: 'Найти',
    finding: 'Поиск…',
    badId: 'Id согласия выглядит так: 123e4567-e89b-12d3-a456-426614174000.',
    history: (id: string) => `История ${id}`,
    time: 'Время',
    method: 'Решение',
    denied: 'Запрещено',
    policy: 'Политика',
    config: 'Конфигурация',
    language: 'Язык',
    page: 'Страница',
    country: 'Страна',
    browser: 'Браузер',
    previous: 'Предыдущее согласие',
    none: '—',
    yes: 'да',
    reprompt: 'Повторный запрос (истекло или новая политика)',
  },
})

/** The report's date range from the URL: a custom range, or a keyword the report accepts (30 days by default). */
function reportQuery(query: URLSearchParams): string {
  const params = new URLSearchParams()
  const period = query.get('period')
  const from = query.get('from')
  const to = query.get('to')
  if (period === 'custom' && from && to) {
    params.set('from', from)
    params.set('to', to)
  } else {
    params.set('date_range', period && /^(day|7d|28d|30d|91d|month|6mo|12mo|year|all)$/.test(period) ? period : '30d')
    const date = query.get('date')
    if (date) params.set('date', date)
  }
  return params.toString()
}

export function ConsentPage({ domain }: { domain: string }) {
  useLocale()
  const t = texts()
  const search = reportQuery(useRoute().params)
  const report = useLoad(() => api<Report>('GET', `/api/sites/${encodeURIComponent(domain)}/consent/report?${search}`), [domain, search])
  const data = report.data
  return (
    <div class="page page-consent">
      <h1>{t.title}</h1>
      {report.loading && !data && <Loading />}
      <ErrorNote error={report.error} onRetry={report.reload} />
      {data && (
        <>
          <section class="card" aria-labelledby="consent-days">
            <h2 id="consent-days">{t.perDay}</h2>
            {data.days.every((day) => day.total === 0) ? <Empty>{t.empty}</Empty> : <DaysChart days={data.days} />}
          </section>
          <section class="card" aria-labelledby="consent-visits">
            <h2 id="consent-visits">{t.visits}</h2>
            <VisitsShare visits={data.visits} />
          </section>
          <section class="card" aria-labelledby="consent-categories">
            <h2 id="consent-categories">{t.categories}</h2>
            {data.categories.length === 0 ? (
              <Empty>{t.empty}</Empty>
            ) : (
              <div class="table-wrap">
                <table class="data-table" data-table="categories">
                  <thead>
                    <tr>
                      <th scope="col">{t.category}</th>
                      <th scope="col" class="num">
                        {t.granted}
                      </th>
                      <th scope="col" class="num">
                        {t.decisions}
                      </th>
                      <th scope="col" class="num">
                        {t.rate}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.categories.map((row) => (
                      <tr key={row.category} data-category={row.category}>
                        <th scope="row">{row.category}</th>
                        <td class="num">{formatNumber(row.granted)}</td>
                        <td class="num">{formatNumber(row.decisions)}</td>
                        <td class="num">
                          <span class="rate-bar" aria-hidden="true">
                            <span style={{ width: `${Math.max(0, Math.min(100, row.rate))}%` }} />
                          </span>
                          {formatPercent(row.rate)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <section class="card" aria-labelledby="consent-versions">
            <h2 id="consent-versions">{t.versions}</h2>
            {data.versions.length === 0 ? (
              <Empty>{t.empty}</Empty>
            ) : (
              <div class="table-wrap">
                <table class="data-table" data-table="versions">
                  <thead>
                    <tr>
                      <th scope="col">{t.version}</th>
                      <th scope="col" class="num">
                        {t.decisions}
                      </th>
                      <th scope="col" class="num">
                        {t.kinds.accept_all}
                      </th>
                      <th scope="col" class="num">
                        {t.kinds.reject_all}
                      </th>
                      <th scope="col" class="num">
                        {t.kinds.custom}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.versions.map((row) => (
                      <tr key={row.version}>
                        <th scope="row">{formatNumber(row.version)}</th>
                        <td class="num">{formatNumber(row.decisions)}</td>
                        <td class="num">{formatNumber(row.accept_all)}</td>
                        <td class="num">{formatNumber(row.reject_all)}</td>
                        <td class="num">{formatNumber(row.custom)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
      <Lookup domain={domain} />
    </div>
  )
}

const CHART_W = 720
const CHART_H = 220
const PAD_LEFT = 44
const PAD_BOTTOM = 24

/** Stacked bars per day, with a table holding the same numbers (shown, since the counts matter here). */
function DaysChart({ days }: { days: Day[] }) {
  const t = texts()
  const max = Math.max(1, ...days.map((day) => KINDS.reduce((sum, kind) => sum + day[kind], 0)))
  const slot = (CHART_W - PAD_LEFT) / Math.max(1, days.length)
  const barWidth = Math.max(2, slot * 0.7)
  const plotH = CHART_H - PAD_BOTTOM
  const labelEvery = Math.ceil(days.length / 8)
  const ticks = [0, 0.5, 1].map((f) => Math.round(max * f))
  return (
    <div class="consent-days">
      <svg viewBox={`0 0 ${CHART_W} ${CHART_H}`} role="img" aria-labelledby="consent-chart-title" class="chart-svg">
        <title id="consent-chart-title">{t.chartLabel}</title>
        {ticks.map((tick) => {
          const y = plotH - (tick / max) * (plotH - 8)
          return (
            <g key={tick} class="chart-grid">
              <line x1={PAD_LEFT} x2={CHART_W} y1={y} y2={y} />
              <text x={PAD_LEFT - 6} y={y + 4} text-anchor="end" class="chart-axis">
                {formatNumber(tick)}
              </text>
            </g>
          )
        })}
        {days.map((day, index) => {
          let y = plotH
          const x = PAD_LEFT + index * slot + (slot - barWidth) / 2
          return (
            <g key={day.day}>
              <title>{`${formatDate(day.day)}: ${KINDS.map((kind) => `${t.kinds[kind]} ${formatNumber(day[kind])}`).join(', ')}`}</title>
              {KINDS.map((kind) => {
                const h = (day[kind] / max) * (plotH - 8)
                y -= h
                return h > 0 ? <rect key={kind} x={x} y={y} width={barWidth} height={h} class={`seg seg-${kind}`} /> : null
              })}
              {index % labelEvery === 0 && (
                <text x={x + barWidth / 2} y={CHART_H - 6} text-anchor="middle" class="chart-axis">
                  {formatShortDay(day.day)}
                </text>
              )}
            </g>
          )
        })}
      </svg>
      <ul class="legend" aria-hidden="true">
        {KINDS.map((kind) => (
          <li key={kind}>
            <span class={`swatch seg-${kind}`} /> {t.kinds[kind]}
          </li>
        ))}
      </ul>
      <details>
        <summary>{t.perDay}</summary>
        <div class="table-wrap">
          <table class="data-table" data-table="days">
            <thead>
              <tr>
                <th scope="col">{t.day}</th>
                {KINDS.map((kind) => (
                  <th key={kind} scope="col" class="num">
                    {t.kinds[kind]}
                  </th>
                ))}
                <th scope="col" class="num">
                  {t.total}
                </th>
              </tr>
            </thead>
            <tbody>
              {days.map((day) => (
                <tr key={day.day} data-day={day.day}>
                  <th scope="row">{formatDate(day.day)}</th>
                  {KINDS.map((kind) => (
                    <td key={kind} class="num" data-kind={kind}>
                      {formatNumber(day[kind])}
                    </td>
                  ))}
                  <td class="num" data-kind="total">
                    {formatNumber(day.total)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
      <p class="totals" data-totals>
        {KINDS.map((kind) => (
          <span key={kind} class="total-chip" data-kind={kind}>
            {t.kinds[kind]}: <strong>{formatNumber(days.reduce((sum, day) => sum + day[kind], 0))}</strong>
          </span>
        ))}
      </p>
    </div>
  )
}

function VisitsShare({ visits }: { visits: Report['visits'] }) {
  const t = texts()
  const total = visits.full + visits.anonymous
  const fullPercent = total > 0 ? (visits.full / total) * 100 : 0
  return (
    <div class="visits-share">
      <div class="share-bar" role="img" aria-label={`${t.fullShare}: ${formatPercent(visits.full_share)}`}>
        <span class="share-full" style={{ width: `${fullPercent}%` }} />
      </div>
      <dl class="stat-list">
        <div>
          <dt>{t.full}</dt>
          <dd data-visits="full">{formatNumber(visits.full)}</dd>
        </div>
        <div>
          <dt>{t.anonymous}</dt>
          <dd data-visits="anonymous">{formatNumber(visits.anonymous)}</dd>
        </div>
        <div>
          <dt>{t.fullShare}</dt>
          <dd data-visits="share">{formatPercent(visits.full_share)}</dd>
        </div>
      </dl>
    </div>
  )
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function Lookup({ domain }: { domain: string }) {
  const t = texts()
  const [id, setId] = useState('')
  const [state, setState] = useState<{ busy: boolean; error?: unknown; invalid?: boolean; found?: { consentId: string; records: HistoryRecord[] } }>({ busy: false })
  const submit = async (event: Event) => {
    event.preventDefault()
    const wanted = id.trim()
    if (!UUID.test(wanted)) {
      setState({ busy: false, invalid: true })
      return
    }
    setState({ busy: true })
    try {
      const found = await api<{ consentId: string; records: HistoryRecord[] }>('GET', `/api/sites/${encodeURIComponent(domain)}/consents/${encodeURIComponent(wanted)}`)
      setState({ busy: false, found })
    } catch (error) {
      setState({ busy: false, error })
    }
  }
  return (
    <section class="card" aria-labelledby="consent-lookup">
      <h2 id="consent-lookup">{t.lookup}</h2>
      <p class="muted">{t.lookupHint}</p>
      <form onSubmit={submit} class="inline-form" role="search">
        <label for="consent-id">{t.consentId}</label>
        <input
          id="consent-id"
          name="consentId"
          value={id}
          onInput={(event) => setId(event.currentTarget.value)}
          spellcheck={false}
          autocomplete="off"
          size={38}
          aria-invalid={state.invalid}
          aria-describedby="consent-id-error"
        />
        <button type="submit" disabled={state.busy}>
          {state.busy ? t.finding : t.find}
        </button>
        {state.invalid && (
          <span class="field-error" id="consent-id-error" role="alert">
            {t.badId}
          </span>
        )}
        <FieldError error={state.error} field="consentId" id="consent-id-error" />
      </form>
      <ErrorNote error={state.error} skipFields={['consentId']} />
      {state.found && (
        <div class="table-wrap">
          <table class="data-table" data-table="history">
            <caption>{t.history(state.found.consentId)}</caption>
            <thead>
              <tr>
                <th scope="col">{t.time}</th>
                <th scope="col">{t.method}</th>
                <th scope="col">{t.granted}</th>
                <th scope="col">{t.denied}</th>
                <th scope="col">{t.policy}</th>
                <th scope="col">{t.config}</th>
                <th scope="col">{t.language}</th>
                <th scope="col">{t.page}</th>
                <th scope="col">{t.country}</th>
                <th scope="col">{t.browser}</th>
                <th scope="col">GPC</th>
                <th scope="col">{t.previous}</th>
              </tr>
            </thead>
            <tbody>
              {state.found.records.map((record) => (
                <tr key={record.eventId}>
                  <td>{formatInstant(record.time)}</td>
                  <td data-method={record.method}>{record.method === 'expired_reprompt' ? t.reprompt : (t.kinds[record.method as Kind] ?? record.method)}</td>
                  <td>{record.granted.join(', ') || t.none}</td>
                  <td>{record.denied.join(', ') || t.none}</td>
                  <td class="num">{record.policyVersion}</td>
                  <td class="num">{record.configVersion}</td>
                  <td>{record.language}</td>
                  <td class="break">{record.path}</td>
                  <td>{record.country || t.none}</td>
                  <td>{record.browser || t.none}</td>
                  <td>{record.gpc ? t.yes : t.none}</td>
                  <td class="break">{record.previousConsentId ?? t.none}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
