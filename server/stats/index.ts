// The stats context: the analytics query layer behind the Stats API (and, later, the dashboard).
import fp from 'fastify-plugin'
import { statsRoutes } from './routes.ts'

export { runQuery, type QueryResult } from './query.ts'
export type { QueryRequest } from './schema.ts'

export const statsPlugin = fp(
  async (app) => {
    await app.register(statsRoutes)
  },
  { name: 'stats', dependencies: ['databases', 'sites', 'auth'] },
)
