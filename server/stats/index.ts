// The stats context: the analytics query layer behind the Stats API (and, later, the dashboard).
import fp from 'fastify-plugin'
import { statsRoutes } from './routes.ts'
import { QueryRequest, QueryResponse } from './schema.ts'

export { runQuery, type QueryResult } from './query.ts'
export type { QueryRequest } from './schema.ts'

export const statsPlugin = fp(
  async (app) => {
    // Shared schemas go on the root instance: a context that calls addSchema gets a fresh schema
    // controller that drops the TypeBox validator compiler for Fastify's Ajv, which silently strips
    // unknown fields (and coerces types) instead of refusing them.
    app.addSchema(QueryRequest)
    app.addSchema(QueryResponse)
    await app.register(statsRoutes)
  },
  { name: 'stats', dependencies: ['databases', 'sites', 'auth'] },
)
