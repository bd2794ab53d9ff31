// Parse and validate a Stats API query against the whitelists. Anything unknown is a 400 that
// names it; what comes out holds only whitelisted names and values to bind as parameters.
import { badRequest } from '../errors.ts'
import type { Goal } from '../goals/service.ts'
import type { Site } from '../sites/index.ts'
import { isCalendarDay, localDay } from '../time.ts'
import { parseDateRange, type DateRange } from './date-range.ts'
import { DIMENSIONS, PROPS_PREFIX, isTimeDimension, type DimensionDef } from './dimensions.ts'
import { SESSION_METRICS, isMetric, type Metric } from './metrics.ts'
import type { QueryRequest } from './schema.ts'

export const FILTER_OPERATORS = ['is', 'is_not', 'contains', 'contains_not'] as const
export type FilterOperator = (typeof FILTER_OPERATORS)[number]

export interface ParsedDimension {
  readonly name: string
  readonly def: DimensionDef
  /** For event:props:<name>, the property name (bound as a parameter). */
  readonly prop: string | null
}

export interface ParsedFilter {
  readonly operator: FilterOperator
  readonly dimension: ParsedDimension
  readonly values: readonly string[]
  readonly caseSensitive: boolean
}

export interface ParsedQuery {
  readonly site: Site
  readonly metrics: readonly Metric[]
  readonly dimensions: readonly ParsedDimension[]
  readonly filters: readonly ParsedFilter[]
  readonly range: DateRange
  readonly orderBy: ReadonlyArray<readonly [string, 'asc' | 'desc']>
  readonly limit: number
  readonly offset: number
  readonly include: { readonly totalRows: boolean; readonly timeLabels: boolean }
  /** The site's goals, for event:goal and conversion_rate. */
  readonly goals: readonly Goal[]
  /** Rows of a breakdown by a non-time dimension with fewer visitors are left out (public dashboards). */
  readonly minVisitors: number
  /** Whether every sessions row the range can reach lists its pages (a page filter then reads them). */
  readonly sessionPages: boolean
}

export interface QueryOptions {
  /** Leave out breakdown rows (non-time dimensions) with fewer visitors than this. */
  readonly minVisitors?: number
  /** Only these dimensions may be grouped or filtered by; any other is a 400 naming the field. */
  readonly allowedDimensions?: ReadonlySet<string>
  /** The site's goals (app.stats.run loads them). */
  readonly goals?: readonly Goal[]
  /** Sessions rows starting at or after this instant (ms) list their pages (SessionPages); null or absent: none is relied on. */
  readonly sessionPagesSince?: number | null
}

/** Event dimensions whose visits' bounce rate and duration make sense ("of the visits that saw it"). */
const VISIT_LEVEL_EVENT_DIMENSIONS = new Set(['event:page', 'event:font', 'event:goal'])

const DEFAULT_LIMIT = 10_000

function dimension(name: string, field: string, allowed?: ReadonlySet<string>): ParsedDimension {
  if (allowed && !allowed.has(name)) throw badRequest(`the dimension "${name}" is not available here`, field)
  if (name.startsWith(PROPS_PREFIX)) {
    const prop = name.slice(PROPS_PREFIX.length)
    if (prop.length === 0 || prop.length > 300) throw badRequest(`"${name}" needs a property name`, field)
    return { name, def: { scope: 'event', events: 'props', sessions: null }, prop }
  }
  const def = DIMENSIONS[name]
  if (!def) throw badRequest(`unknown dimension "${name}"`, field)
  return { name, def, prop: null }
}

function filter(raw: readonly unknown[], index: number, allowed?: ReadonlySet<string>): ParsedFilter {
  const field = `filters[${index}]`
  const [operator, name, values, modifiers] = raw
  if (typeof operator !== 'string' || !(FILTER_OPERATORS as readonly string[]).includes(operator)) {
    throw badRequest(`unknown filter operator ${JSON.stringify(operator)}: use ${FILTER_OPERATORS.join(', ')}`, field)
  }
  if (typeof name !== 'string') throw badRequest('a filter names its dimension second', field)
  const parsed = dimension(name, field, allowed)
  if (parsed.def.scope === 'time') throw badRequest(`cannot filter by ${name}; use date_range`, field)
  if (!Array.isArray(values) || values.length === 0 || values.length > 100) {
    throw badRequest('a filter takes a list of 1 to 100 values third', field)
  }
  const clauses = values.map((value) => {
    if ((typeof value !== 'string' && typeof value !== 'number') || String(value).length > 2000) {
      throw badRequest('filter values must be strings of at most 2000 characters', field)
    }
    return String(value)
  })
  let caseSensitive = true
  if (modifiers !== undefined) {
    const keys = modifiers && typeof modifiers === 'object' ? Object.keys(modifiers) : null
    const flag = (modifiers as { case_sensitive?: unknown } | null)?.case_sensitive
    if (!keys || keys.some((key) => key !== 'case_sensitive') || (flag !== undefined && typeof flag !== 'boolean')) {
      throw badRequest('the only filter modifier is {"case_sensitive": true|false}', field)
    }
    caseSensitive = flag !== false
  }
  return { operator: operator as FilterOperator, dimension: parsed, values: clauses, caseSensitive }
}

export function parseQuery(request: QueryRequest, site: Site, now = Date.now(), options: QueryOptions = {}): ParsedQuery {
  const allowed = options.allowedDimensions
  const metrics = request.metrics.map((name, index) => {
    if (!isMetric(name)) throw badRequest(`unknown metric "${name}"`, `metrics[${index}]`)
    return name
  })
  if (new Set(metrics).size !== metrics.length) throw badRequest('a metric is listed twice', 'metrics')

  const dimensions = (request.dimensions ?? []).map((name, index) => dimension(name, `dimensions[${index}]`, allowed))
  if (new Set(dimensions.map((d) => d.name)).size !== dimensions.length) throw badRequest('a dimension is listed twice', 'dimensions')
  if (dimensions.filter((d) => isTimeDimension(d.name)).length > 1) throw badRequest('at most one time dimension', 'dimensions')

  const eventDimensions = dimensions.filter((d) => d.def.scope === 'event')
  if (eventDimensions.length > 0) {
    if (dimensions.some((d) => d.def.scope === 'session')) {
      throw badRequest('entry and exit pages cannot be combined with event dimensions', 'dimensions')
    }
    const visitLevel = eventDimensions.every((d) => VISIT_LEVEL_EVENT_DIMENSIONS.has(d.name))
    for (const metric of metrics) {
      const fits = metric === 'visits' || !SESSION_METRICS.has(metric) || (visitLevel && metric !== 'views_per_visit')
      if (!fits) {
        throw badRequest(`metric ${metric} cannot be queried with the dimension ${eventDimensions[0]!.name}`, 'metrics')
      }
    }
  }

  const filters = (request.filters ?? []).map((raw, index) => filter(raw, index, allowed))
  const conversionRate = metrics.indexOf('conversion_rate')
  if (conversionRate >= 0 && !dimensions.some((d) => d.name === 'event:goal') && !filters.some((f) => f.dimension.name === 'event:goal')) {
    throw badRequest('conversion_rate needs event:goal in dimensions or filters', `metrics[${conversionRate}]`)
  }
  const minVisitors = options.minVisitors ?? 0
  if (!Number.isInteger(minVisitors) || minVisitors < 0) throw new Error('minVisitors must be a whole number of visitors')

  const dimensionNames = new Set(dimensions.map((d) => d.name))
  const orderBy = (request.order_by ?? []).map(([key, direction], index) => {
    if (!metrics.includes(key as Metric) && !dimensionNames.has(key)) {
      throw badRequest(`order_by "${key}" is neither a queried metric nor a queried dimension`, `order_by[${index}]`)
    }
    return [key, direction] as const
  })

  if (request.date !== undefined && !isCalendarDay(request.date)) throw badRequest(`"${request.date}" is not a date`, 'date')
  const today = request.date ?? localDay(site.timezone, now)
  const range = parseDateRange(request.date_range, {
    timezone: site.timezone,
    firstDay: localDay(site.timezone, Date.parse(site.createdAt)),
    today,
    now,
  })

  const include = { totalRows: request.include?.total_rows === true, timeLabels: request.include?.time_labels === true }
  if (include.timeLabels && !dimensions.some((d) => isTimeDimension(d.name))) {
    throw badRequest('include.time_labels needs a time dimension', 'include.time_labels')
  }
  return {
    site,
    metrics,
    dimensions,
    filters,
    range,
    orderBy,
    limit: request.pagination?.limit ?? DEFAULT_LIMIT,
    offset: request.pagination?.offset ?? 0,
    include,
    goals: options.goals ?? [],
    minVisitors,
    sessionPages: listsPages(range, options.sessionPagesSince),
  }
}

/** No zone is more than 14 hours ahead of UTC: a local time read as UTC, less that, is never later than the instant. */
const MAX_ZONE_LEAD_MS = 14 * 3_600_000

/** Whether every sessions row starting in the range was written with its pages. */
function listsPages(range: DateRange, since: number | null | undefined): boolean {
  if (since === null || since === undefined) return false
  return Date.parse(`${range.from.replace(' ', 'T')}Z`) - MAX_ZONE_LEAD_MS >= since
}
