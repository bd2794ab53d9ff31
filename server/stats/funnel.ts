// Funnels: how many visitors went through steps in order within one visit (ClickHouse
// windowFunnel over each visit's events in the range), with the query's filters choosing visits.
import { Type, type Static } from 'typebox'
import type { ClickHouseClient } from '../db/index.ts'
import { checkSteps, stepLabel, type FunnelStep, type Goal } from '../goals/index.ts'
import { pathPattern } from '../goals/pattern.ts'
import type { Site } from '../sites/index.ts'
import { parseQuery } from './parse.ts'
import { Clauses } from './sql.ts'

const Step = Type.Object({ kind: Type.Union([Type.Literal('event'), Type.Literal('page')]), value: Type.String({ maxLength: 4000 }) }, { additionalProperties: false })

export const FunnelRequest = Type.Object(
  {
    site_id: Type.String({ minLength: 1, maxLength: 253, description: 'The site domain' }),
    date_range: Type.Union([Type.String({ maxLength: 16 }), Type.Array(Type.String({ maxLength: 40 }), { minItems: 2, maxItems: 2 })]),
    date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
    filters: Type.Optional(Type.Array(Type.Array(Type.Unknown(), { minItems: 3, maxItems: 4 }), { maxItems: 30 })),
    steps: Type.Array(Step, { maxItems: 100, description: '2 to 8 steps: an event name, or a page path (`*` wildcards)' }),
  },
  { additionalProperties: false, $id: 'FunnelQuery' },
)
export type FunnelRequest = Static<typeof FunnelRequest>

export const FunnelResponse = Type.Object(
  {
    steps: Type.Array(
      Type.Object({
        label: Type.String(),
        visitors: Type.Integer(),
        conversion_rate: Type.Number({ description: '% of the first step' }),
        step_conversion_rate: Type.Number({ description: '% of the previous step' }),
        dropoff: Type.Integer({ description: 'Visitors lost since the previous step' }),
      }),
    ),
  },
  { $id: 'FunnelResult' },
)
export type FunnelResult = Static<typeof FunnelResponse>

const percent = (part: number, whole: number) => (whole > 0 ? Math.round((1000 * part) / whole) / 10 : 0)

export async function runFunnel(
  clickhouse: ClickHouseClient,
  site: Site,
  request: FunnelRequest,
  goals: readonly Goal[] = [],
  now = Date.now(),
): Promise<FunnelResult> {
  const steps: FunnelStep[] = checkSteps(request.steps)
  const query = parseQuery(
    { site_id: request.site_id, metrics: ['visitors'], date_range: request.date_range, ...(request.date ? { date: request.date } : {}), ...(request.filters ? { filters: request.filters } : {}) },
    site,
    now,
    { goals },
  )
  const clauses = new Clauses(query)
  const { params } = clauses
  const conditions = steps.map((step) =>
    step.kind === 'event'
      ? `name = ${params.bind(step.value, 'String')}`
      : `name = 'pageview' AND match(pathname, ${params.bind(pathPattern(step.value), 'String')})`,
  )
  // Filters choose visits: visit attributes are on every events row; event filters keep the visits
  // that had such an event; entry and exit pages the visits whose latest state has them.
  const where = [clauses.eventsInRange]
  const onEvents = query.filters.filter((f) => f.dimension.def.scope === 'event')
  const onSessions = query.filters.filter((f) => f.dimension.def.scope === 'session')
  for (const f of query.filters) if (f.dimension.def.scope === 'visit') where.push(clauses.condition(f, 'events'))
  if (onEvents.length > 0) where.push(clauses.visitsWithEvents(onEvents, clauses.eventsInRange))
  if (onSessions.length > 0) where.push(clauses.sessionsMatching(onSessions))
  // Steps are within one visit, so the window only has to span the range.
  const toMs = (local: string) => Date.parse(`${local.replace(' ', 'T')}Z`)
  // An aggregate function's parameter cannot be a query parameter; this is a whole number we computed.
  const window = Math.max(1, Math.round((toMs(query.range.to) - toMs(query.range.from)) / 1000))
  const sql =
    `SELECT ${steps.map((_, i) => `uniqCombined64If(15)(visitor_id, level >= ${i + 1}) AS s${i}`).join(', ')} FROM (` +
    `SELECT visitor_id, windowFunnel(${window})(timestamp, ${conditions.join(', ')}) AS level ` +
    `FROM events WHERE ${where.join(' AND ')} GROUP BY session_id, visitor_id)`
  const result = await clickhouse.query({ query: sql, query_params: params.values, format: 'JSONEachRow' })
  const row = (await result.json<Record<string, string | number>>())[0] ?? {}
  const visitors = steps.map((_, i) => Number(row[`s${i}`] ?? 0))
  return {
    steps: steps.map((step, i) => ({
      label: stepLabel(step),
      visitors: visitors[i]!,
      conversion_rate: i === 0 ? (visitors[0]! > 0 ? 100 : 0) : percent(visitors[i]!, visitors[0]!),
      step_conversion_rate: i === 0 ? (visitors[0]! > 0 ? 100 : 0) : percent(visitors[i]!, visitors[i - 1]!),
      dropoff: i === 0 ? 0 : visitors[i - 1]! - visitors[i]!,
    })),
  }
}
