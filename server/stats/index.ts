// The stats context: the analytics query layer behind the Stats API, the dashboard and public dashboards.
import fp from 'fastify-plugin'
import type { Site } from '../sites/index.ts'
import { ExportRequest } from './export.ts'
import { FunnelRequest, FunnelResponse } from './funnel.ts'
import type { QueryOptions } from './parse.ts'
import { runQuery, type QueryResult } from './query.ts'
import { statsRoutes } from './routes.ts'
import { SessionPages } from './session-pages.ts'
import { QueryRequest, QueryResponse } from './schema.ts'

export { runQuery, type QueryResult, type QueryOptions } from './query.ts'
export { runFunnel, type FunnelResult } from './funnel.ts'
export type { QueryRequest } from './schema.ts'

export interface Stats {
  /** Runs a Stats API query for a site (the caller checked access), with the site's goals. */
  run(site: Site, request: QueryRequest, options?: Omit<QueryOptions, 'goals' | 'sessionPagesSince'>): Promise<QueryResult>
  /** Since when sessions rows list their pages (page filters read them from then on). */
  readonly sessionPages: SessionPages
}

declare module 'fastify' {
  interface FastifyInstance {
    stats: Stats
  }
}

export const statsPlugin = fp(
  async (app) => {
    // Shared schemas go on the root instance: a context that calls addSchema gets a fresh schema
    // controller that drops the TypeBox validator compiler for Fastify's Ajv, which silently strips
    // unknown fields (and coerces types) instead of refusing them.
    app.addSchema(QueryRequest)
    app.addSchema(QueryResponse)
    app.addSchema(FunnelRequest)
    app.addSchema(FunnelResponse)
    app.addSchema(ExportRequest)
    const sessionPages = new SessionPages(app.clickhouse.client)
    // The spool writer storing older sessions rows (a spool from before an upgrade) moves `since`;
    // listening before the first read leaves no gap between the two.
    const unsubscribe = app.hasDecorator('ingest') ? app.ingest.onOlderSessionRows(() => void sessionPages.refresh().catch(() => undefined)) : () => false
    await sessionPages.refresh()
    sessionPages.start()
    app.addHook('onClose', async () => {
      sessionPages.stop()
      unsubscribe()
    })
    app.decorate('stats', {
      run: async (site, request, options = {}) => {
        // Goals are read only when the query names them (one Postgres round trip saved per query).
        const named = request.dimensions?.includes('event:goal') || request.filters?.some((filter) => filter[1] === 'event:goal')
        const goals = named ? await app.goals.list(site.id) : []
        return runQuery(app.clickhouse.client, site, request, Date.now(), { ...options, goals, sessionPagesSince: sessionPages.since })
      },
      sessionPages,
    } satisfies Stats)
    await app.register(statsRoutes)
  },
  { name: 'stats', dependencies: ['databases', 'sites', 'auth', 'goals'] },
)
