// Request and response of POST /api/v2/query: a subset of Plausible's Stats API v2, so its
// clients work unchanged. The shapes are checked here; names (metrics, dimensions, filters) are
// checked against the whitelists in parse.ts, which names the offending entry.
import { Type, type Static } from 'typebox'

const Filter = Type.Array(Type.Unknown(), {
  minItems: 3,
  maxItems: 4,
  description: '[operator, dimension, [values…], {case_sensitive}?], operator: is, is_not, contains, contains_not',
})

export const QueryRequest = Type.Object(
  {
    site_id: Type.String({ minLength: 1, maxLength: 253, description: 'The site domain' }),
    metrics: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 16 }),
    date_range: Type.Union([Type.String({ maxLength: 16 }), Type.Array(Type.String({ maxLength: 40 }), { minItems: 2, maxItems: 2 })]),
    dimensions: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 8 })),
    filters: Type.Optional(Type.Array(Filter, { maxItems: 30 })),
    order_by: Type.Optional(Type.Array(Type.Tuple([Type.String({ maxLength: 200 }), Type.Union([Type.Literal('asc'), Type.Literal('desc')])]), { maxItems: 16 })),
    date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'The day relative ranges count back from' })),
    include: Type.Optional(
      Type.Object(
        { total_rows: Type.Optional(Type.Boolean()), time_labels: Type.Optional(Type.Boolean()), imports: Type.Optional(Type.Boolean()) },
        { additionalProperties: false },
      ),
    ),
    pagination: Type.Optional(
      Type.Object(
        { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })), offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, $id: 'StatsQuery' },
)
export type QueryRequest = Static<typeof QueryRequest>

export const QueryResponse = Type.Object(
  {
    results: Type.Array(
      Type.Object({
        metrics: Type.Array(Type.Number()),
        dimensions: Type.Array(Type.String()),
      }),
    ),
    meta: Type.Object({
      total_rows: Type.Optional(Type.Integer()),
      time_labels: Type.Optional(Type.Array(Type.String())),
    }),
    query: Type.Object({
      site_id: Type.String(),
      metrics: Type.Array(Type.String()),
      date_range: Type.Array(Type.String()),
      dimensions: Type.Array(Type.String()),
      filters: Type.Array(Type.Unknown()),
      order_by: Type.Array(Type.Unknown()),
      pagination: Type.Object({ limit: Type.Integer(), offset: Type.Integer() }),
      timezone: Type.String(),
    }),
  },
  { $id: 'StatsQueryResult' },
)
