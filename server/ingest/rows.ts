// Spool lines for ClickHouse: 'E' + an events row, 'V' + a sessions row, each a JSON array
// (JSONCompactEachRow). A visit's attributes are serialised once (the "visit fragment") and shared
// by its rows; 64-bit ids are spliced in as JSON numbers because JSON.stringify cannot write them.
import type { Draft } from './pipeline.ts'

export interface VisitRowState {
  readonly sessionId: string
  readonly visitorId: string
  readonly start: number
  last: number
  version: number
  hostname: string
  entryPage: string
  exitPage: string
  /** The distinct paths of the visit's events, in first-seen order, at most MAX_VISIT_PAGES. */
  pages: string[]
  /** `pages` as JSON, rewritten only when a path is added. */
  pagesJson: string
  pageviews: number
  events: number
  /** Events other than pageviews that count as interaction (all but those sent with interactive: false). */
  interactions: number
  consented: boolean
  /** `…,…]` — the visit columns' values as the tail of a JSON array. */
  fragment: string
}

/**
 * Column order of the spool's rows. Rows are JSON arrays (JSONCompactEachRow): naming every column
 * in every row would double the bytes written, synced and parsed per event. A row's values are
 * its own columns followed by the visit columns. The tag says the layout: 'E' events rows and
 * 'V' sessions rows of this layout; a change of layout takes new tags, so a spool written by an
 * older version still replays with the columns it was written with ('S': sessions rows before
 * `pages`, which ClickHouse then fills with its default, []).
 */
export const VISIT_COLUMNS = [
  'site_id', 'tier', 'referrer_source', 'referrer_domain', 'referrer',
  'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term',
  'country_code', 'region', 'city', 'asn', 'isp',
  'browser', 'browser_version', 'os', 'os_version', 'device',
  'screen_width', 'screen_height', 'pixel_ratio', 'timezone', 'language', 'retention_days',
] as const

export const EVENT_COLUMNS = [
  'timestamp', 'name', 'hostname', 'pathname', 'props', 'revenue_currency', 'fonts', 'returning',
  'days_since_first_visit', 'revenue_amount', 'visitor_id', 'session_id', ...VISIT_COLUMNS,
] as const

export const SESSION_COLUMNS = [
  'sign', 'version', 'session_id', 'visitor_id', 'start', 'timestamp', 'hostname', 'entry_page', 'exit_page', 'pages',
  'pageviews', 'events', 'duration', 'is_bounce', ...VISIT_COLUMNS,
] as const

/** Sessions rows as spooled before `pages` (tag 'S'). */
const SESSION_COLUMNS_BEFORE_PAGES = SESSION_COLUMNS.filter((column) => column !== 'pages')

/**
 * A visit's sessions row lists at most this many distinct paths: a filter on a page finds a visit
 * by the paths it saw first, and a row (written on every event) stays small.
 */
export const MAX_VISIT_PAGES = 1000

/** Which table each spool tag goes to, with its columns. */
export const SPOOL_TABLES = {
  E: { table: 'events', columns: EVENT_COLUMNS },
  S: { table: 'sessions', columns: SESSION_COLUMNS_BEFORE_PAGES },
  V: { table: 'sessions', columns: SESSION_COLUMNS },
} as const

/** Adds the path of a visit's event to its pages, once. */
export function addPage(visit: VisitRowState, pathname: string): void {
  if (visit.pages.length >= MAX_VISIT_PAGES || visit.pages.includes(pathname)) return
  visit.pages.push(pathname)
  visit.pagesJson = JSON.stringify(visit.pages)
}

type VisitValues = [
  site_id: number, tier: 'anonymous' | 'consented', referrer_source: string, referrer_domain: string, referrer: string,
  utm_source: string, utm_medium: string, utm_campaign: string, utm_content: string, utm_term: string,
  country_code: string, region: string, city: string, asn: number, isp: string,
  browser: string, browser_version: string, os: string, os_version: string, device: string,
  screen_width: number, screen_height: number, pixel_ratio: number, timezone: string, language: string, retention_days: number,
]

function visitValues(draft: Draft): VisitValues {
  const { consented, source, location, userAgent, site, event } = draft
  const screen = consented ? event.screen : null
  return [
    site.id,
    consented ? 'consented' : 'anonymous',
    source.referrerSource,
    source.referrerDomain,
    consented ? source.referrer : '',
    source.utmSource,
    source.utmMedium,
    source.utmCampaign,
    source.utmContent,
    source.utmTerm,
    location.countryCode,
    location.region,
    consented ? location.city : '',
    consented ? location.asn : 0,
    consented ? location.isp : '',
    userAgent.browser,
    consented ? userAgent.browserVersion : userAgent.browserMajor,
    userAgent.os,
    consented ? userAgent.osVersion : userAgent.osMajor,
    userAgent.device,
    screen?.width ?? 0,
    screen?.height ?? 0,
    screen?.pixelRatio ?? 0,
    event.timezone,
    event.language,
    site.retentionDays,
  ]
}

/** `v1,v2,…]`: the visit values as the tail of a JSON array. */
const toFragment = (values: VisitValues) => JSON.stringify(values).slice(1)

export function visitFragment(draft: Draft): string {
  return toFragment(visitValues(draft))
}

/** Visit columns a tier change keeps: a visit's source is where it started. */
const KEPT_ON_RETIER = ['referrer_source', 'referrer_domain', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'].map(
  (column) => VISIT_COLUMNS.indexOf(column as (typeof VISIT_COLUMNS)[number]),
)
const REFERRER = VISIT_COLUMNS.indexOf('referrer')

/**
 * The fragment after the visitor's tier changed mid-visit: attributes from this event in its tier,
 * but the visit's source stays the one it started with (the full referrer only if it was kept).
 */
export function retierFragment(previous: string, draft: Draft): string {
  const before = JSON.parse(`[${previous}`) as VisitValues
  const values = visitValues(draft)
  for (const index of KEPT_ON_RETIER) values[index] = before[index]!
  values[REFERRER] = draft.consented ? (before[REFERRER] ?? '') : ''
  return toFragment(values)
}

const seconds = (ms: number) => Math.floor(ms / 1000)

export function eventLine(draft: Draft, visit: VisitRowState): string {
  const { event } = draft
  const returning = draft.consented && event.daysSinceFirstVisit !== null
  const head = JSON.stringify([
    seconds(draft.request.receivedAt),
    event.name,
    draft.hostname,
    draft.pathname,
    event.props,
    event.revenue?.currency ?? '',
    draft.consented ? event.fonts : [],
    returning ? (event.daysSinceFirstVisit === 0 ? 'new' : 'returning') : 'unknown',
    returning ? event.daysSinceFirstVisit : 0,
  ])
  // The amount is a validated decimal string, written as a JSON number so the Decimal column keeps it exactly.
  const revenue = event.revenue ? event.revenue.amount : 'null'
  return `E${head.slice(0, -1)},${revenue},${visit.visitorId},${visit.sessionId},${visit.fragment}\n`
}

export function sessionLine(visit: VisitRowState, sign: 1 | -1): string {
  const pages = JSON.stringify([visit.hostname, visit.entryPage, visit.exitPage])
  const bounce = visit.pageviews <= 1 && visit.interactions === 0 ? 1 : 0
  return (
    `V[${sign},${visit.version},${visit.sessionId},${visit.visitorId},${visit.start},${visit.last},${pages.slice(1, -1)},${visit.pagesJson},` +
    `${visit.pageviews},${visit.events},${visit.last - visit.start},${bounce},${visit.fragment}\n`
  )
}
