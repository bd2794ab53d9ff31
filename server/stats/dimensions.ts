// The dimensions the Stats API groups and filters by, each mapped to the SQL that reads it from
// the events table, the sessions table, or both. Nothing else ever reaches the SQL text.

/**
 * event: only events rows know it (a page, an event name). session: only sessions rows (entry
 * and exit page). visit: both carry it (source, location, device…). time: a bucket of the row's time.
 */
export type Scope = 'event' | 'session' | 'visit' | 'time'

export interface DimensionDef {
  readonly scope: Scope
  /** SQL over the events table, or null when events do not carry it. */
  readonly events: string | null
  /** SQL over the sessions table, or null. */
  readonly sessions: string | null
  /**
   * array: `events` is an Array column; a row groups under each element (arrayJoin) and a filter
   * asks whether any element matches. goal: the site's goals, built per query in sql.ts.
   */
  readonly kind?: 'array' | 'goal'
  /**
   * Rows group by these cheaper values (a LowCardinality column, a Date) instead of the expression,
   * and `label` turns a group's value into the expression's value, once per result row rather than
   * once per stored row. Filters still compare the expression.
   */
  readonly grouped?: { readonly events: string; readonly sessions: string; readonly label: (value: string) => string }
  /**
   * The same on every state of a visit: its source (kept when the tier changes), its location
   * (a visit is one address: the visitor hash includes it), its browser, OS and device (one user
   * agent). Cancelled states then never carry another value, so visitors by it can be counted
   * over sessions rows directly (sql.ts). Not stable: city, ISP, versions and screen, which a
   * consent given mid-visit fills in.
   */
  readonly stable?: true
}

const visit = (column: string): DimensionDef => ({ scope: 'visit', events: column, sessions: column })
const stableVisit = (column: string): DimensionDef => ({ ...visit(column), stable: true })

/** Plausible shows a visit without referrer or tagged source as "Direct / None". */
const directOrSource = (value: string) => `if(${value} = '', 'Direct / None', ${value})`
const SOURCE = directOrSource('referrer_source')
/** The full referring URL where it was kept (consented tier), else the referring domain. */
const REFERRER = "if(referrer = '', referrer_domain, referrer)"

/** Width x height as the tracker reported it; '' when the screen is unknown. */
const SCREEN = "if(screen_width = 0, '', concat(toString(screen_width), 'x', toString(screen_height)))"

/** A bucket's start in the site's time zone, and its label: local 'YYYY-MM-DD[ hh:mm:00]'. */
const TIME_BUCKETS = {
  'time:minute': { start: (time: string) => `toStartOfMinute(${time})`, label: (start: string) => `formatDateTime(${start}, '%Y-%m-%d %H:%i:00', {tz:String})` },
  'time:hour': { start: (time: string) => `toStartOfHour(${time}, {tz:String})`, label: (start: string) => `formatDateTime(${start}, '%Y-%m-%d %H:00:00', {tz:String})` },
  'time:day': { start: (time: string) => `toDate(${time}, {tz:String})`, label: (start: string) => `toString(${start})` },
  'time:week': { start: (time: string) => `toMonday(${time}, {tz:String})`, label: (start: string) => `toString(${start})` },
  'time:month': { start: (time: string) => `toStartOfMonth(${time}, {tz:String})`, label: (start: string) => `toString(${start})` },
} as const

export type TimeDimension = keyof typeof TIME_BUCKETS
export const isTimeDimension = (name: string): name is TimeDimension => name in TIME_BUCKETS

export const DIMENSIONS: Readonly<Record<string, DimensionDef>> = {
  'event:page': { scope: 'event', events: 'pathname', sessions: null },
  'event:name': { scope: 'event', events: 'name', sessions: null },
  'event:hostname': { scope: 'event', events: 'hostname', sessions: null },
  // Fonts come with consented visits' events only; sessions rows do not keep them.
  'event:font': { scope: 'event', events: 'fonts', sessions: null, kind: 'array' },
  'event:goal': { scope: 'event', events: null, sessions: null, kind: 'goal' },
  // The names of the custom properties events carry, one row per name (what event:props:<name> can read).
  'event:prop_name': { scope: 'event', events: 'mapKeys(props)', sessions: null, kind: 'array' },
  'visit:entry_page': { scope: 'session', events: null, sessions: 'entry_page' },
  'visit:exit_page': { scope: 'session', events: null, sessions: 'exit_page' },
  'visit:source': { ...stableVisit(SOURCE), grouped: { events: 'referrer_source', sessions: 'referrer_source', label: directOrSource } },
  'visit:referrer': visit(REFERRER),
  'visit:utm_source': stableVisit('utm_source'),
  'visit:utm_medium': stableVisit('utm_medium'),
  'visit:utm_campaign': stableVisit('utm_campaign'),
  'visit:utm_content': stableVisit('utm_content'),
  'visit:utm_term': stableVisit('utm_term'),
  'visit:country': stableVisit('country_code'),
  'visit:region': stableVisit('region'),
  'visit:city': visit('city'),
  'visit:browser': stableVisit('browser'),
  'visit:browser_version': visit('browser_version'),
  'visit:os': stableVisit('os'),
  'visit:os_version': visit('os_version'),
  'visit:device': stableVisit('device'),
  'visit:isp': visit('isp'),
  'visit:screen': visit(SCREEN),
  'visit:timezone': visit('timezone'),
  'visit:language': visit('language'),
  ...Object.fromEntries(
    Object.entries(TIME_BUCKETS).map(([name, { start, label }]) => [
      name,
      {
        scope: 'time',
        events: label(start('timestamp')),
        sessions: label(start('start')),
        // Rows group by the bucket's start (a number); only result rows are formatted.
        grouped: { events: start('timestamp'), sessions: start('start'), label },
      } satisfies DimensionDef,
    ]),
  ),
}

/** event:props:<name> reads one custom property; its name is bound as a parameter, never spliced. */
export const PROPS_PREFIX = 'event:props:'
