// The ingest pipeline: an event passes small named steps in order; any step may drop it with a
// typed reason (answered 202 with X-Candor-Dropped, never stored, counted in metrics).
import type { Site } from '../sites/index.ts'
import type { IncomingEvent } from './payload.ts'

export const DROP_REASONS = ['bot', 'unknown_site', 'foreign_hostname', 'not_consented'] as const
export type DropReason = (typeof DROP_REASONS)[number]

/** What the request tells about the visitor. The IP lives here, in memory, and nowhere else. */
export interface RequestFacts {
  readonly ip: string
  readonly userAgent: string
  /** Sec-GPC: 1 — the visitor's browser sends Global Privacy Control. */
  readonly gpc: boolean
  /** Milliseconds since the epoch. */
  readonly receivedAt: number
}

export interface UserAgentInfo {
  readonly bot: boolean
  readonly browser: string
  readonly browserVersion: string
  readonly browserMajor: string
  readonly os: string
  readonly osVersion: string
  readonly osMajor: string
  readonly device: string
}

export interface Source {
  referrerSource: string
  referrerDomain: string
  /** Full referring URL without its query string: consented tier only. */
  referrer: string
  utmSource: string
  utmMedium: string
  utmCampaign: string
  utmContent: string
  utmTerm: string
}

export interface Location {
  countryCode: string
  region: string
  /** City and ISP are kept for the consented tier only. */
  city: string
  asn: number
  isp: string
}

/** An event on its way through the pipeline; steps fill in their part. */
export interface Draft {
  readonly event: IncomingEvent
  readonly request: RequestFacts
  /** The domain this draft is for (an event may name several sites). */
  readonly domain: string
  site: Site
  consented: boolean
  hostname: string
  pathname: string
  userAgent: UserAgentInfo
  source: Source
  location: Location
  /** Whether `location` was looked up for this event (it is skipped for events continuing a visit). */
  located: boolean
  /** The site's local calendar date of the event, YYYY-MM-DD. */
  localDay: string
  /** Daily visitor hash as a decimal UInt64. */
  visitorId: string
}

export type StepResult = DropReason | undefined
export interface Step {
  readonly name: string
  run(draft: Draft): StepResult | Promise<StepResult>
}

const noSite: Site = Object.freeze({ id: 0, domain: '', aliases: [], timezone: 'UTC', retentionDays: 1, publicDashboard: false, publicPasswordSet: false, createdAt: '' })
const noUserAgent: UserAgentInfo = Object.freeze({
  bot: false, browser: '', browserVersion: '', browserMajor: '', os: '', osVersion: '', osMajor: '', device: '',
})

export function newDraft(event: IncomingEvent, request: RequestFacts, domain: string): Draft {
  return {
    event,
    request,
    domain,
    site: noSite,
    consented: false,
    hostname: '',
    pathname: '',
    userAgent: noUserAgent,
    source: {
      referrerSource: '', referrerDomain: '', referrer: '',
      utmSource: '', utmMedium: '', utmCampaign: '', utmContent: '', utmTerm: '',
    },
    location: { countryCode: '', region: '', city: '', asn: 0, isp: '' },
    located: false,
    localDay: '',
    visitorId: '',
  }
}

export async function runPipeline(steps: readonly Step[], draft: Draft): Promise<DropReason | undefined> {
  for (const step of steps) {
    const reason = await step.run(draft)
    if (reason !== undefined) return reason
  }
  return undefined
}
