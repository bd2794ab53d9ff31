// POST /api/v2/query: the Stats API, for a Stats API key's site.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { QueryRequest } from './schema.ts'
import { forbidden } from '../errors.ts'
import { canonicalHostname } from '../sites/index.ts'
import { runQuery } from './query.ts'

export const statsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v2/query',
    {
      onRequest: app.requireStatsKey,
      schema: {
        summary: 'Query aggregate stats (a subset of Plausible Stats API v2)',
        description:
          'Metrics: visitors, visits, pageviews, events, views_per_visit, bounce_rate, visit_duration. ' +
          'Dimensions: event:page, event:name, event:hostname, event:props:<name>, visit:entry_page, visit:exit_page, visit:source, ' +
          'visit:referrer, visit:utm_source|medium|campaign|content|term, visit:country, visit:region, visit:city, ' +
          'visit:browser, visit:browser_version, visit:os, visit:os_version, visit:device, time:hour, time:day, time:week, time:month. ' +
          'visitors counts distinct daily visitor hashes with ClickHouse uniq (exact below tens of thousands, within about 1% above).',
        tags: ['stats'],
        security: [{ bearer: [] }],
        body: QueryRequest,
        response: {
          200: Type.Ref('StatsQueryResult'),
          400: Type.Ref('ErrorBody'),
          401: Type.Ref('ErrorBody'),
          403: Type.Ref('ErrorBody'),
        },
      },
    },
    async (request) => {
      // A key reaches the one site it names, or the sites its owner may read; any other site,
      // existing or not, gets the same answer.
      const { siteId, userId } = request.statsKey!
      const site = await app.sites.find(canonicalHostname(request.body.site_id) ?? '')
      const owner = userId === null ? null : await app.accounts.get(userId).catch(() => null)
      const reaches =
        site !== null && (siteId === null || siteId === site.id) && (userId === null || (owner !== null && (await app.canRead(owner, site))))
      if (!reaches) throw forbidden(`this key does not reach the site ${request.body.site_id}`)
      return runQuery(app.clickhouse.client, site, request.body)
    },
  )
}
