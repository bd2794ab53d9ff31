// Factories that write visits straight into ClickHouse with controlled timestamps, the way
// Plausible's test suite builds its fixtures: a visit's events rows and the matching sessions rows
// in the shapes ingest writes (server/ingest/rows.ts), so the Stats API reads what it would read
// in production — including a stale visit state and its cancel row when asked.
import type { TestApp } from './app.ts'

/** Visit attributes that ingest copies onto every events row and sessions row of a visit. */
export interface VisitAttributes {
  hostname?: string
  /** Classified source; '' is shown as "Direct / None". */
  source?: string
  referrerDomain?: string
  /** The full referring URL (consented tier only). */
  referrer?: string
  utmSource?: string
  utmMedium?: string
  utmCampaign?: string
  utmContent?: string
  utmTerm?: string
  country?: string
  region?: string
  city?: string
  browser?: string
  browserVersion?: string
  os?: string
  osVersion?: string
  device?: string
  isp?: string
  screenWidth?: number
  screenHeight?: number
  timezone?: string
  language?: string
  tier?: 'anonymous' | 'consented'
}

export interface CustomEvent {
  name: string
  props?: Record<string, string>
  /** Seconds after the visit's start; by default the time of the visit's last pageview. */
  at?: number
  /** The page it happened on; by default the page shown at that time. */
  page?: string
  /** Events sent with interactive: false do not stop a visit from being a bounce. */
  interactive?: boolean
}

export interface VisitSpec extends VisitAttributes {
  /** The site's domain. */
  site: string
  /** When the visit starts: an ISO 8601 instant, epoch milliseconds or a Date. */
  start: string | number | Date
  /** Pathnames of the visit's pageviews, in order. */
  pages?: readonly string[]
  /** Seconds between consecutive pageviews (60 by default), or each pageview's offset from the start. */
  gap?: number | readonly number[]
  events?: readonly CustomEvent[]
  /** System fonts on every events row of the visit (consented visits report them). */
  fonts?: readonly string[]
  /** The daily visitor hash; a new one per visit by default. */
  visitor?: number
  /**
   * Also store earlier states of the visit, each with its cancel row: the rows ingest leaves behind
   * until ClickHouse collapses them. true: the first state (after the first hit, version 1);
   * 'every': every state before the last, as ingest writes them. Stale states go in their own
   * insert block, before the cancels and the final state, so nothing collapses before a query.
   */
  stale?: boolean | 'every'
  /** Store the sessions rows as written before ClickHouse migration 005: without their pages (read as []). */
  withoutPages?: boolean
  /**
   * The visit's attributes in its stale states and their events, when they changed later (a
   * visitor who consented mid-visit: the city appears, the browser version gets its minor).
   */
  before?: VisitAttributes
}

export interface StoredVisit {
  readonly sessionId: number
  readonly visitorId: number
  /** The final state's version. */
  readonly version: number
}

// Ids stay below 2^53 so they travel as plain JSON numbers.
let nextId = 1_000_000 + Math.floor(Math.random() * 1_000_000) * 1_000
export const newId = () => nextId++

const seconds = (start: VisitSpec['start']) => Math.floor(new Date(start).getTime() / 1000)

/** Rows never expire in tests, whatever fixed dates they use (retention is a TTL on the row). */
const RETENTION_DAYS = 65_535

interface Hit {
  offset: number
  name: string
  page: string
  props: Record<string, string>
  interactive: boolean
}

function timeline(spec: VisitSpec): Hit[] {
  const pages = spec.pages ?? []
  const offsets = pages.map((_, i) => (Array.isArray(spec.gap) ? (spec.gap[i] ?? 0) : i * ((spec.gap as number | undefined) ?? 60)))
  const hits: Hit[] = pages.map((page, i) => ({ offset: offsets[i]!, name: 'pageview', page, props: {}, interactive: true }))
  const pageAt = (offset: number) => {
    let page = pages[0] ?? '/'
    for (const hit of hits) if (hit.name === 'pageview' && hit.offset <= offset) page = hit.page
    return page
  }
  const lastPageview = offsets.length > 0 ? Math.max(...offsets) : 0
  for (const event of spec.events ?? []) {
    const offset = event.at ?? lastPageview
    hits.push({ offset, name: event.name, page: event.page ?? pageAt(offset), props: event.props ?? {}, interactive: event.interactive ?? true })
  }
  if (hits.length === 0) throw new Error('a visit needs at least one pageview or event')
  // Stable: at equal offsets pageviews stay before the events that follow them.
  return hits.map((hit, index) => ({ hit, index })).sort((a, b) => a.hit.offset - b.hit.offset || a.index - b.index).map(({ hit }) => hit)
}

function visitColumns(siteId: number, spec: VisitAttributes) {
  return {
    site_id: siteId,
    tier: spec.tier ?? 'anonymous',
    referrer_source: spec.source ?? '',
    referrer_domain: spec.referrerDomain ?? '',
    referrer: spec.referrer ?? '',
    utm_source: spec.utmSource ?? '',
    utm_medium: spec.utmMedium ?? '',
    utm_campaign: spec.utmCampaign ?? '',
    utm_content: spec.utmContent ?? '',
    utm_term: spec.utmTerm ?? '',
    country_code: spec.country ?? '',
    region: spec.region ?? '',
    city: spec.city ?? '',
    asn: 0,
    isp: spec.isp ?? '',
    browser: spec.browser ?? 'Chrome',
    browser_version: spec.browserVersion ?? '131',
    os: spec.os ?? 'Linux',
    os_version: spec.osVersion ?? '',
    device: spec.device ?? 'Desktop',
    screen_width: spec.screenWidth ?? 0,
    screen_height: spec.screenHeight ?? 0,
    pixel_ratio: 0,
    timezone: spec.timezone ?? '',
    language: spec.language ?? '',
    retention_days: RETENTION_DAYS,
  }
}

/** The visit after its first `count` hits, as a sessions row. */
function sessionRow(hits: readonly Hit[], count: number, start: number, ids: StoredVisit, hostname: string, columns: object, sign: 1 | -1, withPages: boolean) {
  const seen = hits.slice(0, count)
  const pageviews = seen.filter((hit) => hit.name === 'pageview')
  const interactions = seen.filter((hit) => hit.name !== 'pageview' && hit.interactive).length
  const last = Math.max(...seen.map((hit) => hit.offset))
  return {
    sign,
    version: count,
    session_id: ids.sessionId,
    visitor_id: ids.visitorId,
    start,
    timestamp: start + last,
    hostname,
    entry_page: seen[0]!.page,
    exit_page: pageviews.at(-1)?.page ?? seen[0]!.page,
    // The distinct paths so far, as ingest lists them (addPage).
    ...(withPages ? { pages: [...new Set(seen.map((hit) => hit.page))] } : {}),
    pageviews: pageviews.length,
    events: seen.length,
    duration: last,
    is_bounce: pageviews.length <= 1 && interactions === 0 ? 1 : 0,
    ...columns,
  }
}

async function insert(t: TestApp, table: 'events' | 'sessions', values: object[]): Promise<void> {
  if (values.length === 0) return
  // The tables keep a deduplication window: two identical blocks (say, the same visit twice) would
  // be stored once. Never a token on this client: chDB keeps settings SET on the connection.
  await t.app.clickhouse.client.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { insert_deduplicate: 0 } })
}

/** Stores many visits with three inserts: events, stale states, then cancels and final states. */
export async function visits(t: TestApp, specs: readonly VisitSpec[]): Promise<StoredVisit[]> {
  const events: object[] = []
  const staleStates: object[] = []
  const finalStates: object[] = []
  const stored: StoredVisit[] = []
  const siteIds = new Map<string, number>()
  for (const spec of specs) {
    let siteId = siteIds.get(spec.site)
    if (siteId === undefined) {
      siteId = (await t.app.sites.get(spec.site)).id
      siteIds.set(spec.site, siteId)
    }
    const hits = timeline(spec)
    const start = seconds(spec.start)
    const ids: StoredVisit = { sessionId: newId(), visitorId: spec.visitor ?? newId(), version: hits.length }
    const hostname = spec.hostname ?? spec.site
    const columns = visitColumns(siteId, spec)
    const staleCount = !spec.stale ? 0 : spec.stale === 'every' ? hits.length - 1 : 1
    const staleColumns = spec.before ? visitColumns(siteId, { ...spec, ...spec.before }) : columns
    for (const [index, hit] of hits.entries()) {
      events.push({
        timestamp: start + hit.offset,
        name: hit.name,
        hostname,
        pathname: hit.page,
        props: hit.props,
        revenue_amount: null,
        revenue_currency: '',
        fonts: spec.fonts ?? [],
        returning: 'unknown',
        days_since_first_visit: 0,
        visitor_id: ids.visitorId,
        session_id: ids.sessionId,
        ...(index < staleCount ? staleColumns : columns),
      })
    }
    if (spec.stale && hits.length < 2) throw new Error('a stale state needs a visit of at least two hits')
    for (let count = 1; count <= staleCount; count++) {
      staleStates.push(sessionRow(hits, count, start, ids, hostname, staleColumns, 1, !spec.withoutPages))
      finalStates.push(sessionRow(hits, count, start, ids, hostname, staleColumns, -1, !spec.withoutPages))
    }
    finalStates.push(sessionRow(hits, hits.length, start, ids, hostname, columns, 1, !spec.withoutPages))
    stored.push(ids)
  }
  await insert(t, 'events', events)
  await insert(t, 'sessions', staleStates)
  await insert(t, 'sessions', finalStates)
  return stored
}

/** Stores one visit; see VisitSpec. */
export async function visit(t: TestApp, spec: VisitSpec): Promise<StoredVisit> {
  return (await visits(t, [spec]))[0]!
}

