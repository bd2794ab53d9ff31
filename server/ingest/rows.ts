// Spool lines for ClickHouse: 'E' + an events row, 'S' + a sessions row, each JSONEachRow.
// A visit's attributes are serialised once (the "visit fragment") and shared by its rows; 64-bit
// ids are spliced in as JSON numbers because JSON.stringify cannot write them.
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
  pageviews: number
  events: number
  /** Events other than pageviews that count as interaction (all but those sent with interactive: false). */
  interactions: number
  consented: boolean
  /** `"site_id":…,…}` — the visit columns as the tail of a JSON object. */
  fragment: string
}

interface VisitColumns {
  site_id: number
  tier: 'anonymous' | 'consented'
  referrer_source: string
  referrer_domain: string
  referrer: string
  utm_source: string
  utm_medium: string
  utm_campaign: string
  utm_content: string
  utm_term: string
  country_code: string
  region: string
  city: string
  asn: number
  isp: string
  browser: string
  browser_version: string
  os: string
  os_version: string
  device: string
  screen_width: number
  screen_height: number
  pixel_ratio: number
  timezone: string
  language: string
  retention_days: number
}

function visitColumns(draft: Draft): VisitColumns {
  const { consented, source, location, userAgent, site, event } = draft
  const screen = consented ? event.screen : null
  return {
    site_id: site.id,
    tier: consented ? 'consented' : 'anonymous',
    referrer_source: source.referrerSource,
    referrer_domain: source.referrerDomain,
    referrer: consented ? source.referrer : '',
    utm_source: source.utmSource,
    utm_medium: source.utmMedium,
    utm_campaign: source.utmCampaign,
    utm_content: source.utmContent,
    utm_term: source.utmTerm,
    country_code: location.countryCode,
    region: location.region,
    city: consented ? location.city : '',
    asn: consented ? location.asn : 0,
    isp: consented ? location.isp : '',
    browser: userAgent.browser,
    browser_version: consented ? userAgent.browserVersion : userAgent.browserMajor,
    os: userAgent.os,
    os_version: consented ? userAgent.osVersion : userAgent.osMajor,
    device: userAgent.device,
    screen_width: screen?.width ?? 0,
    screen_height: screen?.height ?? 0,
    pixel_ratio: screen?.pixelRatio ?? 0,
    timezone: event.timezone,
    language: event.language,
    retention_days: site.retentionDays,
  }
}

const toFragment = (columns: VisitColumns) => JSON.stringify(columns).slice(1)

export function visitFragment(draft: Draft): string {
  return toFragment(visitColumns(draft))
}

/**
 * The fragment after the visitor's tier changed mid-visit: attributes from this event in its tier,
 * but the visit's source stays the one it started with (the full referrer only if it was kept).
 */
export function retierFragment(previous: string, draft: Draft): string {
  const before = JSON.parse(`{${previous}`) as VisitColumns
  const columns = visitColumns(draft)
  columns.referrer_source = before.referrer_source
  columns.referrer_domain = before.referrer_domain
  columns.referrer = draft.consented ? before.referrer : ''
  columns.utm_source = before.utm_source
  columns.utm_medium = before.utm_medium
  columns.utm_campaign = before.utm_campaign
  columns.utm_content = before.utm_content
  columns.utm_term = before.utm_term
  return toFragment(columns)
}

const seconds = (ms: number) => Math.floor(ms / 1000)

export function eventLine(draft: Draft, visit: VisitRowState): string {
  const { event } = draft
  const returning = draft.consented && event.daysSinceFirstVisit !== null
  const head = JSON.stringify({
    timestamp: seconds(draft.request.receivedAt),
    name: event.name,
    hostname: draft.hostname,
    pathname: draft.pathname,
    props: event.props,
    revenue_currency: event.revenue?.currency ?? '',
    fonts: draft.consented ? event.fonts : [],
    returning: returning ? (event.daysSinceFirstVisit === 0 ? 'new' : 'returning') : 'unknown',
    days_since_first_visit: returning ? event.daysSinceFirstVisit : 0,
  })
  // The amount is a validated decimal string, written as a JSON number so the Decimal column keeps it exactly.
  const revenue = event.revenue ? event.revenue.amount : 'null'
  return `E${head.slice(0, -1)},"revenue_amount":${revenue},"visitor_id":${visit.visitorId},"session_id":${visit.sessionId},${visit.fragment}\n`
}

export function sessionLine(visit: VisitRowState, sign: 1 | -1): string {
  const pages = JSON.stringify({ hostname: visit.hostname, entry_page: visit.entryPage, exit_page: visit.exitPage })
  const bounce = visit.pageviews <= 1 && visit.interactions === 0 ? 1 : 0
  return (
    `S{"sign":${sign},"version":${visit.version},"session_id":${visit.sessionId},"visitor_id":${visit.visitorId},` +
    `"start":${visit.start},"timestamp":${visit.last},${pages.slice(1, -1)},"pageviews":${visit.pageviews},` +
    `"events":${visit.events},"duration":${visit.last - visit.start},"is_bounce":${bounce},${visit.fragment}\n`
  )
}
