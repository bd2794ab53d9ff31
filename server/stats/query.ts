// The stats pipeline: parse → validate → build SQL → run → shape (Plausible's v2 response).
import type { ClickHouseClient } from '../db/index.ts'
import type { Site } from '../sites/index.ts'
import { timeLabels } from './date-range.ts'
import { isTimeDimension } from './dimensions.ts'
import { parseQuery, type QueryOptions } from './parse.ts'
import type { QueryRequest } from './schema.ts'
import { buildQuery } from './sql.ts'

export interface QueryResult {
  results: Array<{ metrics: number[]; dimensions: string[] }>
  meta: { total_rows?: number; time_labels?: string[] }
  query: {
    site_id: string
    metrics: string[]
    date_range: string[]
    dimensions: string[]
    filters: unknown[]
    order_by: unknown[]
    pagination: { limit: number; offset: number }
    timezone: string
  }
}

export type { QueryOptions } from './parse.ts'

/**
 * Runs a query for a site the caller may read (checked by the route). options: minVisitors leaves
 * out breakdown rows with fewer visitors, allowedDimensions refuses any other dimension (public
 * dashboards), goals are the site's goals (app.stats.run loads them).
 */
export async function runQuery(
  clickhouse: ClickHouseClient,
  site: Site,
  request: QueryRequest,
  now = Date.now(),
  options: QueryOptions = {},
): Promise<QueryResult> {
  const query = parseQuery(request, site, now, options)
  const { sql, countSql, params } = buildQuery(query)
  const rows = await select(clickhouse, sql, params)

  const results = rows.map((row) => ({
    metrics: query.metrics.map((metric) => Number(row[`m_${metric}`] ?? 0)),
    dimensions: query.dimensions.map((_, index) => String(row[`d${index}`] ?? '')),
  }))
  const meta: QueryResult['meta'] = {}
  if (query.include.totalRows) {
    // Every row carries the total; a page past the last row has none to carry it.
    const carrier = rows[0] ?? (query.offset > 0 ? (await select(clickhouse, countSql, params))[0] : undefined)
    meta.total_rows = Number(carrier?.total_rows ?? 0)
  }
  const time = query.dimensions.find((d) => isTimeDimension(d.name))
  if (query.include.timeLabels && time) meta.time_labels = timeLabels(time.name, query.range, site.timezone)
  return {
    results,
    meta,
    query: {
      site_id: site.domain,
      metrics: [...query.metrics],
      date_range: [query.range.from, query.range.to],
      dimensions: query.dimensions.map((d) => d.name),
      filters: request.filters ?? [],
      order_by: query.orderBy.map(([key, direction]) => [key, direction]),
      pagination: { limit: query.limit, offset: query.offset },
      timezone: query.range.zone,
    },
  }
}

async function select(clickhouse: ClickHouseClient, sql: string, params: Record<string, unknown>): Promise<Array<Record<string, string | number>>> {
  const result = await clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' })
  return result.json<Record<string, string | number>>()
}
