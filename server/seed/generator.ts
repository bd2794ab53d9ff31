// Synthetic visits as ClickHouse rows: each visit is a session row (one +1 state, version 1, as
// the stats layer reads it) and its events rows, in ingest's columns (EVENT_COLUMNS,
// SESSION_COLUMNS). Tiers follow the privacy model: consented-only values (full referrer, city,
// ISP, full versions, screen, fonts, returning) are only ever set on consented rows, empty or zero
// on anonymous ones.
import {
  CLICK_TARGETS, CLIENTS, COUNTRY_CHOICE, DOWNLOADS, ENTRY_PAGES, FONTS_BY_OS, FORMS, OUTBOUND_LINKS, PAGES, SCREENS,
  SIGNUP_PLANS, SOURCES,
} from './catalog.ts'
import { MAX_VISIT_PAGES } from '../ingest/rows.ts'
import { SeededRandom } from './random.ts'
import { Timeline } from './timeline.ts'

export interface SeedSite {
  readonly id: number
  readonly domain: string
  readonly timezone: string
  readonly retentionDays: number
}

export interface GeneratorOptions {
  readonly seed: number
  readonly days: number
  /** Unix seconds: the latest time an event may have. */
  readonly end: number
}

/** One visit's rows, each a JSONCompactEachRow line with its newline. */
export interface VisitRows {
  readonly events: string[]
  readonly session: string
}

interface Step {
  readonly name: string
  readonly pathname: string
  readonly props: Record<string, string>
  readonly interaction: boolean
  readonly offset: number
}

const CONSENT_RATE = 0.35
const MAX_PAGEVIEWS = 25

const major = (version: string) => version.split('.')[0] ?? ''

export class TrafficGenerator {
  readonly #random: SeededRandom
  readonly #timeline: Timeline

  constructor(
    readonly site: SeedSite,
    options: GeneratorOptions,
  ) {
    this.#random = new SeededRandom(options.seed)
    this.#timeline = new Timeline(site.timezone, options.days, options.end)
  }

  /** The next visit, with at most `maxEvents` events (at least one: its landing pageview). */
  visit(maxEvents: number): VisitRows {
    const random = this.#random
    const consented = random.chance(CONSENT_RATE)
    const steps = this.#steps(consented).slice(0, Math.max(1, maxEvents))
    const duration = steps.at(-1)!.offset
    const start = this.#timeline.visitStart(random, duration)
    const visitorId = random.uint64()
    const sessionId = random.uint64()
    const { fragment, fonts, returning, daysSinceFirstVisit } = this.#attributes(consented)
    const hostname = this.site.domain

    const events = steps.map((step) => {
      // Ingest's column order (EVENT_COLUMNS); synthetic events carry no revenue.
      const head = JSON.stringify([start + step.offset, step.name, hostname, step.pathname, step.props, '', fonts, returning, daysSinceFirstVisit, null])
      return `${head.slice(0, -1)},${visitorId},${sessionId},${fragment}\n`
    })
    const pageviews = steps.filter((step) => step.name === 'pageview')
    const interactions = steps.some((step) => step.interaction)
    const bounce = pageviews.length <= 1 && !interactions ? 1 : 0
    const pages = JSON.stringify([hostname, steps[0]!.pathname, pageviews.at(-1)!.pathname]).slice(1, -1)
    // The distinct paths of its events, as ingest keeps them (addPage).
    const seen = JSON.stringify([...new Set(steps.map((step) => step.pathname))].slice(0, MAX_VISIT_PAGES))
    const session =
      `[1,1,${sessionId},${visitorId},${start},${start + duration},${pages},${seen},` +
      `${pageviews.length},${steps.length},${duration},${bounce},${fragment}\n`
    return { events, session }
  }

  /** The visit's pageviews and custom events in order, with their offsets from its start in seconds. */
  #steps(consented: boolean): Step[] {
    const random = this.#random
    const pageviewCount = random.chance(0.45) ? 1 : Math.min(MAX_PAGEVIEWS, 2 + Math.floor(random.exponential(2)))
    const paths = [ENTRY_PAGES.draw(random)]
    while (paths.length < pageviewCount) {
      const path = PAGES.draw(random)
      if (path !== paths.at(-1)) paths.push(path)
    }
    const steps: Step[] = []
    let offset = 0
    const add = (name: string, pathname: string, props: Record<string, string>, gap: number) => {
      if (steps.length > 0) offset += Math.min(900, Math.round(gap))
      steps.push({ name, pathname, props, interaction: name !== 'pageview', offset })
    }
    for (const pathname of paths) {
      add('pageview', pathname, {}, 5 + random.exponential(50))
      if (random.chance(0.05)) add('Outbound Link: Click', pathname, { url: OUTBOUND_LINKS.draw(random) }, 2 + random.exponential(20))
      if (random.chance(0.025)) add('File Download', pathname, { url: `https://${this.site.domain}${DOWNLOADS.draw(random)}` }, 2 + random.exponential(15))
      if (pathname === '/signup' && random.chance(0.3)) add('Signup', pathname, { plan: SIGNUP_PLANS.draw(random) }, 20 + random.exponential(60))
      if (consented && random.chance(0.15)) {
        const target = CLICK_TARGETS.draw(random)
        add('Click', pathname, { tag: target.tag, text: target.text }, 1 + random.exponential(15))
      }
      if (consented && random.chance(0.02)) add('Form: Submission', pathname, { form: FORMS.draw(random) }, 10 + random.exponential(40))
    }
    return steps
  }

  /** The visit's columns shared by its rows, and the consented-only event values. */
  #attributes(consented: boolean) {
    const random = this.#random
    const source = SOURCES.draw(random)
    const country = COUNTRY_CHOICE.draw(random)
    const place = country.places.draw(random)
    const network = country.networks.draw(random)
    const client = CLIENTS.draw(random)
    const browserVersion = random.pick(client.browserVersions)
    const osVersion = random.pick(client.osVersions)
    const screen = SCREENS[client.device].draw(random)
    const language = place.languages.draw(random)
    const utm = source?.utm
    const values = [
      this.site.id,
      consented ? 'consented' : 'anonymous',
      source?.source ?? '',
      source?.domain ?? '',
      consented ? (source?.url ?? '') : '',
      utm?.source ?? '',
      utm?.medium ?? '',
      utm?.campaign ?? '',
      utm?.content ?? '',
      utm?.term ?? '',
      country.code,
      place.region,
      consented ? place.city : '',
      consented ? network.asn : 0,
      consented ? network.isp : '',
      client.browser,
      consented ? browserVersion : major(browserVersion),
      client.os,
      consented ? osVersion : major(osVersion),
      client.device,
      consented ? screen[0] : 0,
      consented ? screen[1] : 0,
      consented ? screen[2] : 0,
      place.timezone,
      language,
      this.site.retentionDays,
    ]
    const fonts = consented ? (FONTS_BY_OS[client.os] ?? []).filter(() => random.chance(0.85)) : []
    const days = consented ? (random.chance(0.35) ? random.int(1, 90) : 0) : 0
    return {
      fragment: JSON.stringify(values).slice(1),
      fonts,
      returning: consented ? (days === 0 ? 'new' : 'returning') : 'unknown',
      daysSinceFirstVisit: days,
    }
  }
}
