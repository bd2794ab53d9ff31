// Breakdown cards: tabs, the top 9 rows with a bar, a "Details" dialog (search, sorting, paging),
// and clicking a row to filter the whole view. Cards below the first screen load when scrolled
// into view, which keeps the first screen's requests few.
import type { ComponentType } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { getLocale, localized } from '../i18n.ts'
import { formatMetric } from './graph.tsx'
import { useStats, type Filter, type StatsQuery } from './query.ts'
import { Empty, ErrorLine, Loading } from './states.tsx'

const text = localized({
  en: {
    details: 'Details',
    close: 'Close',
    search: 'Search',
    previous: 'Previous',
    next: 'Next',
    page: (a: number, b: number) => `Page ${a} of ${b}`,
    filterBy: (v: string) => `Filter by ${v}`,
    direct: 'Direct / None',
    none: '(none)',
    properties: 'Properties',
    propertyName: 'Property name',
    show: 'Show',
    map: 'Map',
    metrics: { visitors: 'Visitors', visits: 'Visits', pageviews: 'Pageviews', events: 'Events', bounce_rate: 'Bounce rate', visit_duration: 'Visit duration', conversion_rate: 'Conversion rate', views_per_visit: 'Views per visit' } as Record<string, string>,
    cards: {
      sources: 'Sources', source: 'Sources', referrer: 'Referrers', utm_medium: 'UTM medium', utm_source: 'UTM source', utm_campaign: 'UTM campaign',
      pages: 'Pages', top: 'Top pages', entry: 'Entry pages', exit: 'Exit pages',
      locations: 'Locations', countries: 'Countries', regions: 'Regions', cities: 'Cities',
      devices: 'Devices', browser: 'Browser', browser_version: 'Browser version', os: 'OS', os_version: 'OS version', device: 'Device', screen: 'Screen size',
      isps: 'ISPs', timezones: 'Time zones', languages: 'Languages', fonts: 'System fonts', goals: 'Goals', events: 'Custom events',
    } as Record<string, string>,
  },
  ru: {
    details: 'Подробнее',
    close: 'Закрыть',
    search: 'Поиск',
    previous: 'Назад',
    next: 'Вперёд',
    page: (a: number, b: number) => `Страница ${a} из ${b}`,
    filterBy: (v: string) => `Фильтр: ${v}`,
    direct: 'Прямые заходы',
    none: '(нет)',
    properties: 'Свойства',
    propertyName: 'Имя свойства',
    show: 'Показать',
    map: 'Карта',
    metrics: { visitors: 'Посетители', visits: 'Визиты', pageviews: 'Просмотры', events: 'События', bounce_rate: 'Отказы', visit_duration: 'Длительность визита', conversion_rate: 'Конверсия', views_per_visit: 'Просмотров за визит' } as Record<string, string>,
    cards: {
      sources: 'Источники', source: 'Источники', referrer: 'Ссылающиеся сайты', utm_medium: 'UTM medium', utm_source: 'UTM source', utm_campaign: 'UTM campaign',
      pages: 'Страницы', top: 'Популярные', entry: 'Входа', exit: 'Выхода',
      locations: 'География', countries: 'Страны', regions: 'Регионы', cities: 'Города',
      devices: 'Устройства', browser: 'Браузер', browser_version: 'Версия браузера', os: 'ОС', os_version: 'Версия ОС', device: 'Тип устройства', screen: 'Размер экрана',
      isps: 'Провайдеры', timezones: 'Часовые пояса', languages: 'Языки', fonts: 'Системные шрифты', goals: 'Цели', events: 'События',
    } as Record<string, string>,
  },
})

export function metricName(metric: string): string {
  return text().metrics[metric] ?? metric
}

interface Tab {
  key: string
  dimension: string
  /** the card's columns; the first one draws the bar */
  metrics?: string[]
  /** the details dialog's columns */
  details?: string[]
  filters?: Filter[]
  totalRows?: boolean
  map?: boolean
  props?: boolean
}

export interface CardSpec {
  key: string
  tabs: Tab[]
  /** the tab shown first (the map is not, it loads more) */
  initial?: string
  /** on the first screen; the others load when scrolled into view */
  eager?: boolean
}

const VISIT = ['visitors', 'visits', 'bounce_rate', 'visit_duration']
const PAGE = ['visitors', 'pageviews']

export const CARDS: CardSpec[] = [
  {
    key: 'sources',
    eager: true,
    tabs: [
      { key: 'source', dimension: 'visit:source', totalRows: true, details: VISIT },
      { key: 'referrer', dimension: 'visit:referrer', totalRows: true, details: VISIT },
      { key: 'utm_medium', dimension: 'visit:utm_medium', totalRows: true, details: VISIT },
      { key: 'utm_source', dimension: 'visit:utm_source', totalRows: true, details: VISIT },
      { key: 'utm_campaign', dimension: 'visit:utm_campaign', totalRows: true, details: VISIT },
    ],
  },
  {
    key: 'pages',
    eager: true,
    tabs: [
      { key: 'top', dimension: 'event:page', details: PAGE },
      { key: 'entry', dimension: 'visit:entry_page', details: VISIT },
      { key: 'exit', dimension: 'visit:exit_page', details: VISIT },
    ],
  },
  {
    key: 'locations',
    eager: true,
    initial: 'countries',
    tabs: [
      { key: 'map', dimension: 'visit:country', map: true },
      { key: 'countries', dimension: 'visit:country', details: VISIT },
      { key: 'regions', dimension: 'visit:region', details: VISIT },
      { key: 'cities', dimension: 'visit:city', details: VISIT },
    ],
  },
  {
    key: 'devices',
    eager: true,
    tabs: [
      { key: 'browser', dimension: 'visit:browser', details: VISIT },
      { key: 'browser_version', dimension: 'visit:browser_version', details: VISIT },
      { key: 'os', dimension: 'visit:os', details: VISIT },
      { key: 'os_version', dimension: 'visit:os_version', details: VISIT },
      { key: 'device', dimension: 'visit:device', details: VISIT },
      { key: 'screen', dimension: 'visit:screen', details: VISIT },
    ],
  },
  { key: 'isps', tabs: [{ key: 'isps', dimension: 'visit:isp', details: VISIT }] },
  { key: 'timezones', tabs: [{ key: 'timezones', dimension: 'visit:timezone', details: VISIT }] },
  { key: 'languages', tabs: [{ key: 'languages', dimension: 'visit:language', details: VISIT }] },
  { key: 'fonts', tabs: [{ key: 'fonts', dimension: 'event:font', details: ['visitors'] }] },
  { key: 'goals', tabs: [{ key: 'goals', dimension: 'event:goal', metrics: ['visitors', 'conversion_rate'], details: ['visitors', 'events', 'conversion_rate'] }] },
  {
    key: 'events',
    tabs: [{ key: 'events', dimension: 'event:name', metrics: ['visitors', 'events'], details: ['visitors', 'events'], filters: [['is_not', 'event:name', ['pageview']]], props: true }],
  },
]

let regionNames: Intl.DisplayNames | undefined
let regionLocale = ''
function countryName(code: string): string {
  try {
    if (regionLocale !== getLocale()) {
      regionLocale = getLocale()
      regionNames = new Intl.DisplayNames([regionLocale], { type: 'region' })
    }
    return regionNames?.of(code) ?? code
  } catch {
    return code
  }
}

/** How a dimension value reads; always text, never markup. */
export function valueLabel(dimension: string, value: string): string {
  if ((dimension === 'visit:source' || dimension === 'visit:referrer') && value === '') return text().direct
  if (dimension === 'visit:country' && /^[A-Z]{2}$/.test(value)) return countryName(value)
  return value === '' ? text().none : value
}

export interface CardContext {
  base: Omit<StatsQuery, 'metrics' | 'dimensions'>
  onFilter(filter: Filter): void
  /** ./map/world-map.tsx, loaded when the map tab opens */
  loadMap(): Promise<ComponentType<{ data: Array<{ code: string; visitors: number }>; onSelect(code: string): void }>>
}

function useVisible(eager: boolean): [boolean, (el: HTMLElement | null) => void] {
  const [visible, setVisible] = useState(eager)
  const observer = useRef<IntersectionObserver | null>(null)
  useEffect(() => () => observer.current?.disconnect(), [])
  const ref = (el: HTMLElement | null) => {
    if (visible || !el || observer.current) return
    if (typeof IntersectionObserver !== 'function') return setVisible(true)
    observer.current = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        setVisible(true)
        observer.current?.disconnect()
      }
    }, { rootMargin: '200px' })
    observer.current.observe(el)
  }
  return [visible, ref]
}

function withFilters(base: CardContext['base'], extra: Filter[] | undefined): Filter[] {
  return [...(base.filters ?? []), ...(extra ?? [])]
}

export function Card({ spec, context }: { spec: CardSpec; context: CardContext }) {
  const t = text()
  const [tabKey, setTabKey] = useState(spec.initial ?? spec.tabs[0]!.key)
  const tab = spec.tabs.find((x) => x.key === tabKey) ?? spec.tabs[0]!
  const [visible, ref] = useVisible(!!spec.eager)
  const [details, setDetails] = useState(false)
  const title = t.cards[spec.key] ?? spec.key
  return (
    <section class="card" ref={ref} aria-labelledby={`card-${spec.key}`} data-card={spec.key}>
      <header class="card-head">
        <h2 id={`card-${spec.key}`}>{title}</h2>
        {spec.tabs.length > 1 && (
          <div class="tabs" role="tablist" aria-label={title}>
            {spec.tabs.map((x) => (
              <button key={x.key} type="button" role="tab" aria-selected={x.key === tab.key} class="tab" onClick={() => setTabKey(x.key)}>
                {x.map ? t.map : (t.cards[x.key] ?? x.key)}
              </button>
            ))}
          </div>
        )}
      </header>
      {!visible ? <Loading /> : tab.map ? <MapTab context={context} /> : <Rows tab={tab} context={context} onDetails={() => setDetails(true)} />}
      {details && <Details tab={tab} title={`${title}: ${t.cards[tab.key] ?? tab.key}`} context={context} onClose={() => setDetails(false)} />}
    </section>
  )
}

function MapTab({ context }: { context: CardContext }) {
  const [Map, setMap] = useState<Awaited<ReturnType<CardContext['loadMap']>> | null>(null)
  const [failed, setFailed] = useState<unknown>(null)
  useEffect(() => {
    context.loadMap().then((component) => setMap(() => component), setFailed)
  }, [])
  const result = useStats({ ...context.base, metrics: ['visitors'], dimensions: ['visit:country'], pagination: { limit: 300 } })
  if (failed) return <ErrorLine error={failed} />
  if (result.error) return <ErrorLine error={result.error} />
  if (!Map || !result.data) return <Loading />
  const data = result.data.results.map((r) => ({ code: r.dimensions[0] ?? '', visitors: r.metrics[0] ?? 0 }))
  return <Map data={data} onSelect={(code: string) => context.onFilter(['is', 'visit:country', [code]])} />
}

function Rows({ tab, context, onDetails }: { tab: Tab; context: CardContext; onDetails?: () => void }) {
  const t = text()
  const metrics = tab.metrics ?? ['visitors']
  const query: StatsQuery = {
    ...context.base,
    metrics,
    dimensions: [tab.dimension],
    filters: withFilters(context.base, tab.filters),
    pagination: { limit: 9 },
  }
  if (tab.totalRows) query.include = { total_rows: true }
  if (!query.filters?.length) delete query.filters
  const result = useStats(query)
  const [open, setOpen] = useState<string | null>(null)
  if (result.error) return <ErrorLine error={result.error} />
  if (!result.data) return <Loading />
  const rows = result.data.results
  if (rows.length === 0) return <Empty />
  const max = Math.max(1, ...rows.map((r) => r.metrics[0] ?? 0))
  return (
    <div class={result.loading ? 'rows stale' : 'rows'}>
      <div class="row row-head" aria-hidden="true">
        <span />
        {metrics.map((m) => <span key={m} class="num">{metricName(m)}</span>)}
      </div>
      <ul>
        {rows.map((row) => {
          const value = row.dimensions[0] ?? ''
          const label = valueLabel(tab.dimension, value)
          return (
            <li key={value}>
              <div class="row">
                <button type="button" class="row-label" title={t.filterBy(label)} onClick={() => context.onFilter(['is', tab.dimension, [value]])}>
                  <span class="bar" style={{ width: `${((row.metrics[0] ?? 0) / max) * 100}%` }} />
                  <span class="row-text">{label}</span>
                </button>
                {metrics.map((m, i) => <span key={m} class="num">{formatMetric(m, row.metrics[i] ?? 0)}</span>)}
                {tab.props && (
                  <button type="button" class="link-button" aria-expanded={open === value} onClick={() => setOpen(open === value ? null : value)}>
                    {t.properties}
                  </button>
                )}
              </div>
              {tab.props && open === value && <EventProps name={value} context={context} />}
            </li>
          )
        })}
      </ul>
      {onDetails && (
        <button type="button" class="link-button details" onClick={onDetails}>
          {t.details}
          {result.data.meta.total_rows !== undefined && result.data.meta.total_rows > rows.length ? ` (${formatMetric('visitors', result.data.meta.total_rows)})` : ''}
        </button>
      )}
    </div>
  )
}

/** A custom event's values of one property, picked from the names its events carry in the view, or typed. */
function EventProps({ name, context }: { name: string; context: CardContext }) {
  const t = text()
  const [draft, setDraft] = useState('')
  const [prop, setProp] = useState('')
  const names = useStats({
    ...context.base,
    metrics: ['events'],
    dimensions: ['event:prop_name'],
    filters: [...(context.base.filters ?? []), ['is', 'event:name', [name]]],
    pagination: { limit: 50 },
  })
  return (
    <div class="props">
      {(names.data?.results.length ?? 0) > 0 && (
        <ul class="prop-names" aria-label={t.propertyName}>
          {names.data!.results.map((row) => (
            <li key={row.dimensions[0]}>
              <button type="button" class="link-button" aria-pressed={prop === row.dimensions[0]} onClick={() => setProp(row.dimensions[0] ?? '')}>
                {row.dimensions[0]}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault()
          setProp(draft.trim())
        }}
      >
        <label>
          {t.propertyName} <input value={draft} maxLength={100} onInput={(e) => setDraft(e.currentTarget.value)} />
        </label>
        <button type="submit" class="button-secondary">{t.show}</button>
      </form>
      {prop && (
        <Rows
          tab={{ key: 'props', dimension: `event:props:${prop}`, metrics: ['visitors', 'events'], filters: [['is', 'event:name', [name]]] }}
          context={context}
        />
      )}
    </div>
  )
}

const PAGE_SIZE = 20

function Details({ tab, title, context, onClose }: { tab: Tab; title: string; context: CardContext; onClose(): void }) {
  const t = text()
  const metrics = tab.details ?? tab.metrics ?? ['visitors']
  const dialog = useRef<HTMLDialogElement>(null)
  const [search, setSearch] = useState('')
  const [applied, setApplied] = useState('')
  const [order, setOrder] = useState<[string, 'asc' | 'desc']>([metrics[0]!, 'desc'])
  const [pageIndex, setPage] = useState(0)
  useEffect(() => {
    dialog.current?.showModal()
  }, [])
  useEffect(() => {
    const timer = setTimeout(() => {
      setApplied(search.trim())
      setPage(0)
    }, 300)
    return () => clearTimeout(timer)
  }, [search])
  const filters = withFilters(context.base, tab.filters)
  if (applied) filters.push(['contains', tab.dimension, [applied]])
  const result = useStats({
    ...context.base,
    metrics,
    dimensions: [tab.dimension],
    filters,
    order_by: [order],
    include: { total_rows: true },
    pagination: { limit: PAGE_SIZE, offset: pageIndex * PAGE_SIZE },
  })
  const total = result.data?.meta.total_rows ?? 0
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE))
  const sortBy = (m: string) => {
    setOrder(([current, direction]) => [m, current === m && direction === 'desc' ? 'asc' : 'desc'])
    setPage(0)
  }
  return (
    <dialog ref={dialog} class="modal" aria-labelledby="details-title" onClose={onClose}>
      <header class="modal-head">
        <h2 id="details-title">{title}</h2>
        <button type="button" class="button-secondary" onClick={() => dialog.current?.close()}>{t.close}</button>
      </header>
      <label class="search">
        <span class="visually-hidden">{t.search}</span>
        <input type="search" placeholder={t.search} value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
      </label>
      {result.error ? <ErrorLine error={result.error} /> : !result.data ? <Loading /> : result.data.results.length === 0 ? <Empty /> : (
        <table class={result.loading ? 'details stale' : 'details'}>
          <thead>
            <tr>
              <th scope="col">{title}</th>
              {metrics.map((m) => (
                <th key={m} scope="col" class="num" aria-sort={order[0] === m ? (order[1] === 'desc' ? 'descending' : 'ascending') : 'none'}>
                  <button type="button" class="link-button" onClick={() => sortBy(m)}>
                    {metricName(m)} {order[0] === m ? (order[1] === 'desc' ? '↓' : '↑') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.data.results.map((row) => {
              const value = row.dimensions[0] ?? ''
              return (
                <tr key={value}>
                  <td>
                    <button type="button" class="link-button" onClick={() => { dialog.current?.close(); context.onFilter(['is', tab.dimension, [value]]) }}>
                      {valueLabel(tab.dimension, value)}
                    </button>
                  </td>
                  {metrics.map((m, i) => <td key={m} class="num">{formatMetric(m, row.metrics[i] ?? 0)}</td>)}
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label={t.page(pageIndex + 1, pages)}>
        <button type="button" class="button-secondary" disabled={pageIndex === 0} onClick={() => setPage(pageIndex - 1)}>{t.previous}</button>
        <span>{t.page(pageIndex + 1, pages)}</span>
        <button type="button" class="button-secondary" disabled={pageIndex + 1 >= pages} onClick={() => setPage(pageIndex + 1)}>{t.next}</button>
      </nav>
    </dialog>
  )
}
