// Builds one ClickHouse query for a parsed Stats API query. Expressions come only from the
// whitelists (dimensions.ts, metrics.ts); every value is a bound {name:Type} parameter.
//
// A query reads up to three sources, joined on its dimensions:
//   E — events rows: visitors, pageviews, events (and visits, with an event dimension);
//   S — sessions rows, sign-weighted: visits, bounce rate, duration, views per visit (summed per
//       visitor first when visitors are counted from sessions, so cancelled states drop out);
//   J — one row per (event dimensions, visit) joined with the visit's latest state: bounce rate
//       and duration "of the visits that saw this page".
import type { ParsedDimension, ParsedFilter, ParsedQuery } from './parse.ts'
import { ON_EVENTS, ON_JOINED_VISITS, ON_SESSIONS, ON_VISITOR_SESSIONS, type Metric } from './metrics.ts'
import { isTimeDimension } from './dimensions.ts'

type Table = 'events' | 'sessions'

export interface BuiltQuery {
  readonly sql: string
  /** Counts the rows of all pages, for total_rows when a page lies past the last row. */
  readonly countSql: string
  readonly params: Record<string, unknown>
}

class Params {
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

export function buildQuery(query: ParsedQuery): BuiltQuery {
  const params = new Params()
  params.values.site = query.site.id
  params.values.tz = query.site.timezone
  params.values.from = query.range.from
  params.values.to = query.range.to
  params.values.zone = query.range.zone

  const FROM = 'toDateTime({from:String}, {zone:String})'
  const TO = 'toDateTime({to:String}, {zone:String})'
  const eventsInRange = `site_id = {site:UInt32} AND timestamp >= ${FROM} AND timestamp < ${TO}`
  const sessionsInRange = `site_id = {site:UInt32} AND start >= ${FROM} AND start < ${TO}`
  // Visits whose events fall in the range may have started the day before (and run past midnight).
  const sessionsAround = `site_id = {site:UInt32} AND start >= ${FROM} - INTERVAL 1 DAY AND start < ${TO}`
  const eventsAround = `site_id = {site:UInt32} AND timestamp >= ${FROM} AND timestamp < ${TO} + INTERVAL 1 DAY`

  const expression = (dimension: ParsedDimension, table: Table): string => {
    if (dimension.prop !== null) {
      // Events without the property group (and filter) as "(none)", as in Plausible.
      const name = params.bind(dimension.prop, 'String')
      return `if(mapContains(props, ${name}), props[${name}], '(none)')`
    }
    const sql = table === 'events' ? dimension.def.events : dimension.def.sessions
    if (sql === null) throw new Error(`${dimension.name} is not on ${table}`)
    return sql
  }

  const condition = (filter: ParsedFilter, table: Table): string => {
    const sql = expression(filter.dimension, table)
    const values = filter.caseSensitive ? filter.values : filter.values.map((value) => value.toLowerCase())
    const list = params.bind(values, 'Array(String)')
    // lowerUTF8, not lower (ASCII only): the values were lowered by JavaScript, Cyrillic included.
    const subject = filter.caseSensitive ? sql : `lowerUTF8(${sql})`
    switch (filter.operator) {
      case 'is':
        return `${subject} IN ${list}`
      case 'is_not':
        return `${subject} NOT IN ${list}`
      case 'contains':
        return `multiSearchAny${filter.caseSensitive ? '' : 'CaseInsensitiveUTF8'}(${sql}, ${list})`
      case 'contains_not':
        return `NOT multiSearchAny${filter.caseSensitive ? '' : 'CaseInsensitiveUTF8'}(${sql}, ${list})`
    }
  }

  const onEvents = query.filters.filter((f) => f.dimension.def.scope === 'event')
  const onSessions = query.filters.filter((f) => f.dimension.def.scope === 'session')
  const onVisits = query.filters.filter((f) => f.dimension.def.scope === 'visit')

  /** WHERE for events rows: their own filters, and visits matching session-only filters. */
  const eventsWhere = (): string => {
    const parts = [eventsInRange, ...onEvents.map((f) => condition(f, 'events')), ...onVisits.map((f) => condition(f, 'events'))]
    if (onSessions.length > 0) {
      parts.push(
        `session_id IN (SELECT session_id FROM sessions WHERE ${sessionsAround} AND ${onSessions
          .map((f) => condition(f, 'sessions'))
          .join(' AND ')} GROUP BY session_id HAVING sum(sign) > 0)`,
      )
    }
    return parts.join(' AND ')
  }

  /** WHERE for sessions rows: their own filters, and visits that had events matching event filters. */
  const sessionsWhere = (): string => {
    const parts = [sessionsInRange, ...onSessions.map((f) => condition(f, 'sessions')), ...onVisits.map((f) => condition(f, 'sessions'))]
    if (onEvents.length > 0) {
      parts.push(`session_id IN (SELECT session_id FROM events WHERE ${eventsAround} AND ${onEvents.map((f) => condition(f, 'events')).join(' AND ')})`)
    }
    return parts.join(' AND ')
  }

  const dimensions = query.dimensions
  const groupBy = dimensions.length > 0 ? ` GROUP BY ${dimensions.map((_, i) => column(i)).join(', ')}` : ''
  const selectDimensions = (table: Table) => dimensions.map((d, i) => `${expression(d, table)} AS ${column(i)}`)

  const eventDimension = dimensions.some((d) => d.def.scope === 'event')
  const sessionDimension = dimensions.some((d) => d.def.scope === 'session')
  const sources: Array<{ metrics: Metric[]; sql: (metrics: Metric[]) => string }> = []

  const E = (metrics: Metric[]) =>
    `SELECT ${[...selectDimensions('events'), ...metrics.map((m) => `${ON_EVENTS[m]} AS ${metricColumn(m)}`)].join(', ')} FROM events WHERE ${eventsWhere()}${groupBy}`
  // A group whose visits were all cancelled (a stale exit page) has no live visit and no row. An
  // aggregate without dimensions keeps its one row, zeros included, like the events side.
  const liveGroups = dimensions.length > 0 ? ' HAVING sum(sign) > 0' : ''
  const S = (metrics: Metric[]) => {
    if (metrics.includes('visitors')) return SV(metrics)
    return `SELECT ${[...selectDimensions('sessions'), ...metrics.map((m) => `${ON_SESSIONS[m]} AS ${metricColumn(m)}`)].join(', ')} FROM sessions WHERE ${sessionsWhere()}${groupBy}${liveGroups}`
  }
  // Visitors from sessions rows: first one row per (group, visitor) with a live visit there.
  const SV = (metrics: Metric[]) =>
    `SELECT ${[...dimensions.map((_, i) => column(i)), ...metrics.map((m) => `${ON_VISITOR_SESSIONS[m]} AS ${metricColumn(m)}`)].join(', ')} ` +
    `FROM (SELECT ${[...selectDimensions('sessions'), 'visitor_id'].join(', ')}, sum(sign) AS v_visits, sum(sign * pageviews) AS v_pageviews, ` +
    `sum(sign * events) AS v_events, sum(sign * is_bounce) AS v_bounces, sum(sign * duration) AS v_duration ` +
    `FROM sessions WHERE ${sessionsWhere()} GROUP BY ${[...dimensions.map((_, i) => column(i)), 'visitor_id'].join(', ')} HAVING sum(sign) > 0) AS visitor_visits${groupBy}`
  const J = (metrics: Metric[]) =>
    `SELECT ${[...dimensions.map((_, i) => column(i)), ...metrics.map((m) => `${ON_JOINED_VISITS[m]} AS ${metricColumn(m)}`)].join(', ')} ` +
    `FROM (SELECT DISTINCT ${[...selectDimensions('events'), 'session_id'].join(', ')} FROM events WHERE ${eventsWhere()}) AS visits_seen ` +
    `INNER JOIN (SELECT session_id, argMax(is_bounce, version) AS is_bounce, argMax(duration, version) AS duration FROM sessions ` +
    `WHERE ${sessionsAround} GROUP BY session_id HAVING sum(sign) > 0) AS visit_states USING (session_id)${groupBy}`

  const wanted = query.metrics
  if (eventDimension) {
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

  const keys = dimensions.map((_, i) => column(i))
  let body: string
  if (sources.length === 1) {
    body = sources[0]!.sql(sources[0]!.metrics)
  } else {
    const [left, right] = sources as [(typeof sources)[0], (typeof sources)[0]]
    const join = keys.length > 0 ? `FULL OUTER JOIN (${right.sql(right.metrics)}) AS right_source USING (${keys.join(', ')})` : `CROSS JOIN (${right.sql(right.metrics)}) AS right_source`
    body = `SELECT * FROM (${left.sql(left.metrics)}) AS left_source ${join}`
  }

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
    `SELECT ${select.join(', ')} FROM (${body}) ORDER BY ${order.join(', ')} ` +
    `LIMIT ${params.bind(query.limit, 'UInt32')} OFFSET ${params.bind(query.offset, 'UInt32')}`
  return { sql, countSql: `SELECT count() AS total_rows FROM (${body})`, params: params.values }
}
