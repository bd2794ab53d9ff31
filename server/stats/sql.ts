// Builds one ClickHouse query for a parsed Stats API query. Expressions come only from the
// whitelists (dimensions.ts, metrics.ts); every value is a bound {name:Type} parameter.
//
// A query reads up to three sources, joined on its dimensions:
//   E — events rows: visitors, pageviews, events (and visits, with an event dimension);
//   S — sessions rows, sign-weighted: visits, bounce rate, duration, views per visit (summed per
//       visitor first when visitors are counted from sessions, so cancelled states drop out);
//   J — one row per (event dimensions, visit) joined with the visit's latest state: bounce rate
//       and duration "of the visits that saw this page".
// conversion_rate divides the visitors of each row by the visitors of the same view without its
// goal filters (grouped by the dimensions other than event:goal), a second body joined on them.
import { pathPattern } from '../goals/pattern.ts'
import type { Goal } from '../goals/service.ts'
import type { ParsedDimension, ParsedFilter, ParsedQuery } from './parse.ts'
import { ON_EVENTS, ON_JOINED_VISITS, ON_SESSIONS, ON_VISITOR_SESSIONS, type Metric, type StoredMetric } from './metrics.ts'
import { isTimeDimension } from './dimensions.ts'

type Table = 'events' | 'sessions'

export interface BuiltQuery {
  readonly sql: string
  /** Counts the rows of all pages, for total_rows when a page lies past the last row. */
  readonly countSql: string
  readonly params: Record<string, unknown>
}

export class Params {
  readonly values: Record<string, unknown> = {}
  #next = 0
  bind(value: unknown, type: string): string {
    const name = `p${this.#next++}`
    this.values[name] = value
    return `{${name}:${type}}`
  }
}

const column = (index: number) => `d${index}`
const metricColumn = (metric: Metric) => `m_${metric}`

const positive = (filter: ParsedFilter) => filter.operator === 'is' || filter.operator === 'contains'

/** Whether a filter on event:goal names the goal (`is`/`is_not`) or a part of its name (`contains…`). */
function goalNamed(goal: Goal, filter: ParsedFilter): boolean {
  const name = filter.caseSensitive ? goal.displayName : goal.displayName.toLowerCase()
  const values = filter.caseSensitive ? filter.values : filter.values.map((value) => value.toLowerCase())
  return filter.operator === 'is' || filter.operator === 'is_not' ? values.includes(name) : values.some((value) => name.includes(value))
}

/**
 * The WHERE clauses and expressions of one query, over its range and the site's goals. Shared by
 * the Stats API query and the funnel (funnel.ts).
 */
export class Clauses {
  readonly params = new Params()
  readonly eventsInRange: string
  readonly sessionsInRange: string
  /** Visits whose events fall in the range may have started the day before (and run past midnight). */
  readonly sessionsAround: string
  readonly eventsAround: string

  constructor(readonly query: ParsedQuery) {
    const values = this.params.values
    values.site = query.site.id
    values.tz = query.site.timezone
    values.from = query.range.from
    values.to = query.range.to
    values.zone = query.range.zone
    const FROM = 'toDateTime({from:String}, {zone:String})'
    const TO = 'toDateTime({to:String}, {zone:String})'
    // site_id and the time first: the primary key (site_id, toDate(time), …) prunes on them.
    this.eventsInRange = `site_id = {site:UInt32} AND timestamp >= ${FROM} AND timestamp < ${TO}`
    this.sessionsInRange = `site_id = {site:UInt32} AND start >= ${FROM} AND start < ${TO}`
    this.sessionsAround = `site_id = {site:UInt32} AND start >= ${FROM} - INTERVAL 1 DAY AND start < ${TO}`
    this.eventsAround = `site_id = {site:UInt32} AND timestamp >= ${FROM} AND timestamp < ${TO} + INTERVAL 1 DAY`
  }

  /** An events row completes one of these goals: a named event, or a pageview of a matching path. */
  completes(goals: readonly Goal[]): string {
    if (goals.length === 0) return '0'
    const kinds = this.params.bind(goals.map((goal) => goal.kind), 'Array(String)')
    const targets = this.params.bind(goals.map(goalTarget), 'Array(String)')
    return `arrayExists((kind, target) -> ${GOAL_MATCH}, ${kinds}, ${targets})`
  }

  /** The goals an events row completes, one grouping row each. */
  goalNames(goals: readonly Goal[]): string {
    const names = this.params.bind(goals.map((goal) => goal.displayName), 'Array(String)')
    const kinds = this.params.bind(goals.map((goal) => goal.kind), 'Array(String)')
    const targets = this.params.bind(goals.map(goalTarget), 'Array(String)')
    return `arrayJoin(arrayFilter((goal, kind, target) -> ${GOAL_MATCH}, ${names}, ${kinds}, ${targets}))`
  }

  /** The goals a goal dimension groups by: those every goal filter lets through. */
  groupedGoals(filters: readonly ParsedFilter[]): Goal[] {
    const onGoals = filters.filter((f) => f.dimension.def.kind === 'goal')
    return this.query.goals.filter((goal) => onGoals.every((f) => goalNamed(goal, f) === positive(f)))
  }

  expression(dimension: ParsedDimension, table: Table, filters: readonly ParsedFilter[]): string {
    if (dimension.prop !== null) {
      // Events without the property group (and filter) as "(none)", as in Plausible.
      const name = this.params.bind(dimension.prop, 'String')
      return `if(mapContains(props, ${name}), props[${name}], '(none)')`
    }
    if (dimension.def.kind === 'goal') return this.goalNames(this.groupedGoals(filters))
    const sql = table === 'events' ? dimension.def.events : dimension.def.sessions
    if (sql === null) throw new Error(`${dimension.name} is not on ${table}`)
    return dimension.def.kind === 'array' ? `arrayJoin(${sql})` : sql
  }

  /** What rows group by: the dimension's cheaper grouped value where it has one (labelled in buildQuery). */
  grouping(dimension: ParsedDimension, table: Table, filters: readonly ParsedFilter[]): string {
    return dimension.prop === null && dimension.def.grouped ? dimension.def.grouped[table] : this.expression(dimension, table, filters)
  }

  /** `subject` stands for the dimension's expression (an array element in pagesSeen). */
  condition(filter: ParsedFilter, table: Table, subject?: string): string {
    const def = filter.dimension.def
    if (def.kind === 'goal') {
      // Names resolve to goals here; a name no goal has matches nothing.
      const completes = this.completes(this.query.goals.filter((goal) => goalNamed(goal, filter)))
      return positive(filter) ? completes : `NOT ${completes}`
    }
    const values = filter.caseSensitive ? filter.values : filter.values.map((value) => value.toLowerCase())
    const list = this.params.bind(values, 'Array(String)')
    const search = `multiSearchAny${filter.caseSensitive ? '' : 'CaseInsensitiveUTF8'}`
    if (def.kind === 'array') {
      // Whether any element matches; the negations: no element does.
      const element = filter.operator === 'is' || filter.operator === 'is_not' ? `has(${list}, ${filter.caseSensitive ? 'element' : 'lowerUTF8(element)'})` : `${search}(element, ${list})`
      const any = `arrayExists(element -> ${element}, ${def.events!})`
      return positive(filter) ? any : `NOT ${any}`
    }
    const sql = subject ?? this.expression(filter.dimension, table, [])
    // lowerUTF8, not lower (ASCII only): the values were lowered by JavaScript, Cyrillic included.
    const compared = filter.caseSensitive ? sql : `lowerUTF8(${sql})`
    switch (filter.operator) {
      case 'is':
        return `${compared} IN ${list}`
      case 'is_not':
        return `${compared} NOT IN ${list}`
      case 'contains':
        return `${search}(${sql}, ${list})`
      case 'contains_not':
        return `NOT ${search}(${sql}, ${list})`
    }
  }

  /** WHERE for events rows: their own filters, and visits matching session-only filters. */
  eventsWhere(filters: readonly ParsedFilter[]): string {
    const onSessions = filters.filter((f) => f.dimension.def.scope === 'session')
    const onRows = filters.filter((f) => f.dimension.def.scope === 'event' || f.dimension.def.scope === 'visit')
    const parts = [this.eventsInRange, ...onRows.map((f) => this.condition(f, 'events'))]
    if (onSessions.length > 0) parts.push(this.sessionsMatching(onSessions))
    return parts.join(' AND ')
  }

  /** session_id of the visits whose latest state passes session-only filters. */
  sessionsMatching(onSessions: readonly ParsedFilter[]): string {
    return `session_id IN (SELECT session_id FROM sessions WHERE ${this.sessionsAround} AND ${onSessions
      .map((f) => this.condition(f, 'sessions'))
      .join(' AND ')} GROUP BY session_id HAVING sum(sign) > 0)`
  }

  /** session_id of the visits that had events passing event filters. */
  visitsWithEvents(onEvents: readonly ParsedFilter[], range = this.eventsAround): string {
    return `session_id IN (SELECT session_id FROM events WHERE ${range} AND ${onEvents.map((f) => this.condition(f, 'events')).join(' AND ')})`
  }

  /**
   * Visits with an event whose path passes every filter, read from the paths their sessions rows
   * list: no set of session ids to build from events and probe per row. Each state of a visit lists
   * the paths up to it, so sign-weighted sums over the matching rows count the latest state.
   */
  pagesSeen(onPages: readonly ParsedFilter[]): string {
    const [only] = onPages
    if (onPages.length === 1 && only!.operator === 'is' && only!.caseSensitive) {
      // The common case, a page or a few: has() on the array is about twice as fast as a lambda.
      return `(${only!.values.map((value) => `has(pages, ${this.params.bind(value, 'String')})`).join(' OR ')})`
    }
    return `arrayExists(page -> ${onPages.map((f) => this.condition(f, 'events', 'page')).join(' AND ')}, pages)`
  }

  /** WHERE for sessions rows: their own filters, and visits that had events matching event filters. */
  sessionsWhere(filters: readonly ParsedFilter[]): string {
    const onEvents = filters.filter((f) => f.dimension.def.scope === 'event')
    const onRows = filters.filter((f) => f.dimension.def.scope === 'session' || f.dimension.def.scope === 'visit')
    const parts = [this.sessionsInRange, ...onRows.map((f) => this.condition(f, 'sessions'))]
    const onPagesOnly = onEvents.every((f) => f.dimension.name === 'event:page')
    if (onEvents.length > 0) parts.push(this.query.sessionPages && onPagesOnly ? this.pagesSeen(onEvents) : this.visitsWithEvents(onEvents))
    return parts.join(' AND ')
  }
}

/** Inside a lambda over (kind, target): the events row completes that goal. */
const GOAL_MATCH = "(kind = 'event' AND name = target) OR (kind = 'page' AND name = 'pageview' AND match(pathname, target))"
const goalTarget = (goal: Goal) => (goal.kind === 'event' ? goal.eventName! : pathPattern(goal.pagePath!))

type Naming = { dimension: (index: number) => string; metric: (metric: StoredMetric) => string }

/** The grouped rows of the query (dimension columns and stored metrics), before order and limit. */
/** Whether body() counts these visitors over visits (sessions rows) rather than events: see there. */
function countsVisitorsByVisits(dimensions: readonly ParsedDimension[], filters: readonly ParsedFilter[], wanted: readonly StoredMetric[]): boolean {
  return (
    wanted.length === 1 &&
    wanted[0] === 'visitors' &&
    dimensions.length > 0 &&
    dimensions.every((d) => d.prop === null && d.def.stable) &&
    filters.every((f) => f.dimension.def.scope === 'event' || f.dimension.def.stable)
  )
}

/** byVisits: visitors alone by stable visit dimensions may be counted over visits (below). */
function body(clauses: Clauses, dimensions: readonly ParsedDimension[], filters: readonly ParsedFilter[], wanted: readonly StoredMetric[], naming: Naming, byVisits = true): string {
  const { dimension: column, metric: metricColumn } = naming
  const groupBy = dimensions.length > 0 ? ` GROUP BY ${dimensions.map((_, i) => column(i)).join(', ')}` : ''
  const selectDimensions = (table: Table) => dimensions.map((d, i) => `${clauses.grouping(d, table, filters)} AS ${column(i)}`)

  const eventDimension = dimensions.some((d) => d.def.scope === 'event')
  const sessionDimension = dimensions.some((d) => d.def.scope === 'session')
  const sources: Array<{ metrics: StoredMetric[]; sql: (metrics: StoredMetric[]) => string }> = []

  const E = (metrics: StoredMetric[]) =>
    `SELECT ${[...selectDimensions('events'), ...metrics.map((m) => `${ON_EVENTS[m]} AS ${metricColumn(m)}`)].join(', ')} FROM events WHERE ${clauses.eventsWhere(filters)}${groupBy}`
  // A group whose visits were all cancelled (a stale exit page) has no live visit and no row. An
  // aggregate without dimensions keeps its one row, zeros included, like the events side.
  const liveGroups = dimensions.length > 0 ? ' HAVING sum(sign) > 0' : ''
  const S = (metrics: StoredMetric[]) => {
    if (metrics.includes('visitors')) return SV(metrics)
    return `SELECT ${[...selectDimensions('sessions'), ...metrics.map((m) => `${ON_SESSIONS[m]} AS ${metricColumn(m)}`)].join(', ')} FROM sessions WHERE ${clauses.sessionsWhere(filters)}${groupBy}${liveGroups}`
  }
  // Visitors from sessions rows: first one row per (group, visitor) with a live visit there.
  const SV = (metrics: StoredMetric[]) =>
    `SELECT ${[...dimensions.map((_, i) => column(i)), ...metrics.map((m) => `${ON_VISITOR_SESSIONS[m]} AS ${metricColumn(m)}`)].join(', ')} ` +
    `FROM (SELECT ${[...selectDimensions('sessions'), 'visitor_id'].join(', ')}, sum(sign) AS v_visits, sum(sign * pageviews) AS v_pageviews, ` +
    `sum(sign * events) AS v_events, sum(sign * is_bounce) AS v_bounces, sum(sign * duration) AS v_duration ` +
    `FROM sessions WHERE ${clauses.sessionsWhere(filters)} GROUP BY ${[...dimensions.map((_, i) => column(i)), 'visitor_id'].join(', ')} HAVING sum(sign) > 0) AS visitor_visits${groupBy}`
  const J = (metrics: StoredMetric[]) =>
    `SELECT ${[...dimensions.map((_, i) => column(i)), ...metrics.map((m) => `${ON_JOINED_VISITS[m]} AS ${metricColumn(m)}`)].join(', ')} ` +
    `FROM (SELECT DISTINCT ${[...selectDimensions('events'), 'session_id'].join(', ')} FROM events WHERE ${clauses.eventsWhere(filters)}) AS visits_seen ` +
    `INNER JOIN (SELECT session_id, argMax(is_bounce, version) AS is_bounce, argMax(duration, version) AS duration FROM sessions ` +
    `WHERE ${clauses.sessionsAround} GROUP BY session_id HAVING sum(sign) > 0) AS visit_states USING (session_id)${groupBy}`

  // Visitors alone by stable visit dimensions (a card of sources, countries, browsers…): distinct
  // visitors over the sessions rows of the visits started in the range, as the details view counts
  // them, on about a third of the rows events have. Every state of a visit carries the same value
  // there, so a cancelled state never counts a visitor under another one. Filters must hold on
  // every state too: stable dimensions, or events (a visit's session id, or its pages, which only
  // grow); exit pages and unstable attributes change between states and keep the paths below.
  const byStableVisits = byVisits && countsVisitorsByVisits(dimensions, filters, wanted)
  const SD = () =>
    `SELECT ${[...selectDimensions('sessions'), `${ON_SESSIONS.visitors} AS ${metricColumn('visitors')}`].join(', ')} FROM sessions WHERE ${clauses.sessionsWhere(filters)}${groupBy} HAVING sum(sign) > 0`

  if (byStableVisits) {
    sources.push({ metrics: ['visitors'], sql: SD })
  } else if (eventDimension) {
    const fromEvents = wanted.filter((m) => m in ON_EVENTS)
    const joined = wanted.filter((m) => m in ON_JOINED_VISITS)
    if (fromEvents.length > 0) sources.push({ metrics: fromEvents, sql: E })
    if (joined.length > 0) sources.push({ metrics: joined, sql: J })
  } else if (sessionDimension) {
    sources.push({ metrics: [...wanted], sql: S })
  } else {
    const eventOnly = wanted.filter((m) => m === 'pageviews' || m === 'events')
    const sessionOnly = wanted.filter((m) => m !== 'pageviews' && m !== 'events' && m !== 'visitors')
    // Visitors come from events unless only visit metrics are asked (then from the same visits).
    const visitorsOnEvents = wanted.includes('visitors') && (eventOnly.length > 0 || sessionOnly.length === 0)
    const fromEvents = visitorsOnEvents ? ['visitors' as const, ...eventOnly] : eventOnly
    const fromSessions = wanted.includes('visitors') && !visitorsOnEvents ? ['visitors' as const, ...sessionOnly] : sessionOnly
    if (fromEvents.length > 0) sources.push({ metrics: fromEvents, sql: E })
    if (fromSessions.length > 0) sources.push({ metrics: fromSessions, sql: S })
  }

  if (sources.length === 1) return sources[0]!.sql(sources[0]!.metrics)
  const keys = dimensions.map((_, i) => column(i))
  const [left, right] = sources as [(typeof sources)[0], (typeof sources)[0]]
  const join = keys.length > 0 ? `FULL OUTER JOIN (${right.sql(right.metrics)}) AS right_source USING (${keys.join(', ')})` : `CROSS JOIN (${right.sql(right.metrics)}) AS right_source`
  return `SELECT * FROM (${left.sql(left.metrics)}) AS left_source ${join}`
}

export function buildQuery(query: ParsedQuery): BuiltQuery {
  const clauses = new Clauses(query)
  const params = clauses.params
  const dimensions = query.dimensions
  const wanted = query.metrics
  const conversion = wanted.includes('conversion_rate')
  const breakdown = dimensions.some((d) => !isTimeDimension(d.name))
  const minVisitors = breakdown && query.minVisitors > 0 ? query.minVisitors : 0
  // Visitors are counted whenever a rate or a threshold needs them, asked for or not.
  const stored = wanted.filter((m): m is StoredMetric => m !== 'conversion_rate')
  if ((conversion || minVisitors > 0) && !stored.includes('visitors')) stored.push('visitors')

  let rows = body(clauses, dimensions, query.filters, stored, { dimension: column, metric: metricColumn })
  if (conversion) {
    // The same view without goals: dimensions other than event:goal, filters other than on it.
    const kept = dimensions.map((d, i) => ({ d, i })).filter(({ d }) => d.def.kind !== 'goal')
    const totals = body(
      clauses,
      kept.map(({ d }) => d),
      query.filters.filter((f) => f.dimension.def.kind !== 'goal'),
      ['visitors'],
      { dimension: (j) => `t${j}`, metric: (m) => `t_${m}` },
      // Counted the way the converted visitors are (visits or events), so a rate never passes 100 %.
      countsVisitorsByVisits(dimensions, query.filters, stored),
    )
    const join =
      kept.length > 0
        ? `LEFT JOIN (${totals}) AS totals ON ${kept.map(({ i }, j) => `converted.${column(i)} = totals.t${j}`).join(' AND ')}`
        : `CROSS JOIN (${totals}) AS totals`
    rows =
      `SELECT converted.*, if(t_visitors > 0, round(100 * m_visitors / t_visitors, 1), 0) AS ${metricColumn('conversion_rate')} ` +
      `FROM (${rows}) AS converted ${join}`
  }
  const kept = minVisitors > 0 ? ` WHERE m_visitors >= ${params.bind(minVisitors, 'UInt64')}` : ''
  // Groups by a cheaper value take their shown value here, once per group (REPLACE keeps the name).
  const labels = dimensions.flatMap((d, i) => (d.prop === null && d.def.grouped ? [`${d.def.grouped.label(column(i))} AS ${column(i)}`] : []))
  if (labels.length > 0) rows = `SELECT * REPLACE (${labels.join(', ')}) FROM (${rows})`

  const keys = dimensions.map((_, i) => column(i))
  const time = dimensions.findIndex((d) => isTimeDimension(d.name))
  const order: string[] = query.orderBy.map(([key, direction]) => {
    const dimensionIndex = dimensions.findIndex((d) => d.name === key)
    return `${dimensionIndex >= 0 ? column(dimensionIndex) : metricColumn(key as Metric)} ${direction.toUpperCase()}`
  })
  if (order.length === 0) {
    if (time >= 0) order.push(`${column(time)} ASC`)
    order.push(`${metricColumn(wanted[0]!)} DESC`)
  }
  // Ties fall back to the dimension values, so pages never shuffle rows between requests.
  for (const key of keys) if (!order.some((entry) => entry.startsWith(`${key} `))) order.push(`${key} ASC`)

  const select = [...keys, ...wanted.map(metricColumn), 'count() OVER () AS total_rows']
  const sql =
    `SELECT ${select.join(', ')} FROM (${rows})${kept} ORDER BY ${order.join(', ')} ` +
    `LIMIT ${params.bind(query.limit, 'UInt32')} OFFSET ${params.bind(query.offset, 'UInt32')}`
  return { sql, countSql: `SELECT count() AS total_rows FROM (${rows})${kept}`, params: params.values }
}
