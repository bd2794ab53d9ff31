// POST /api/v2/query and POST /api/v2/funnel: for a Stats API key's site, or for the dashboard's
// signed-in user on a site they may read.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { SESSION_COOKIE } from '../auth/index.ts'
import { forbidden, unauthorized } from '../errors.ts'
import { canonicalHostname, type Site } from '../sites/index.ts'
import { FunnelRequest, runFunnel } from './funnel.ts'
import { ExportRequest, exportView } from './export.ts'
import { QueryRequest } from './schema.ts'

const AUTH =
  'Authenticate with a Stats API key (`Authorization: Bearer <key>`), or, without that header, with a dashboard login session ' +
  '(cookie candor_session, X-CSRF-Token and our own Origin) whose user may read the site.'

export const statsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  /** A key when the request has an Authorization header; otherwise a login session. */
  const keyOrSession = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.headers.authorization !== undefined) return app.requireStatsKey(request, reply)
    if (!request.cookies[SESSION_COOKIE]) throw unauthorized('send a Stats API key as `Authorization: Bearer <key>`, or sign in')
    return app.requireUser(request, reply)
  }

  /** The site a request may read; any other site, existing or not, gets the same answer. */
  const readableSite = async (request: FastifyRequest, domain: string): Promise<Site> => {
    const site = await app.sites.find(canonicalHostname(domain) ?? '')
    if (request.statsKey) {
      // A key reaches the one site it names, or the sites its owner may read.
      const { siteId, userId } = request.statsKey
      const owner = userId === null ? null : await app.accounts.get(userId).catch(() => null)
      const reaches =
        site !== null && (siteId === null || siteId === site.id) && (userId === null || (owner !== null && (await app.canRead(owner, site))))
      if (!reaches) throw forbidden(`this key does not reach the site ${domain}`)
      return site!
    }
    if (site === null || !(await app.canRead(request.user!, site))) throw forbidden(`you may not read the site ${domain}`)
    return site
  }

  const errors = { 400: Type.Ref('ErrorBody'), 401: Type.Ref('ErrorBody'), 403: Type.Ref('ErrorBody') }
  // Either a Stats API key or a login session (the dashboard).
  const security: Array<Record<string, string[]>> = [{ bearer: [] }, { cookie: [] }]

  app.post(
    '/api/v2/query',
    {
      onRequest: keyOrSession,
      schema: {
        summary: 'Query aggregate stats (a subset of Plausible Stats API v2)',
        description:
          `${AUTH} ` +
          'Metrics: visitors, visits, pageviews, events, views_per_visit, bounce_rate, visit_duration, conversion_rate ' +
          '(needs event:goal in dimensions or filters: the share of visitors, in % to one decimal, of the same view without the goal filter who completed the goal). ' +
          'Dimensions: event:page, event:name, event:hostname, event:props:<name>, event:prop_name (the property names events carry), event:goal (the site\'s goals by display name), ' +
          'event:font (one row per system font consented visits reported; a filter matches events whose fonts include a value), ' +
          'visit:entry_page, visit:exit_page, visit:source, visit:referrer, visit:utm_source|medium|campaign|content|term, ' +
          'visit:country, visit:region, visit:city, visit:isp, visit:browser, visit:browser_version, visit:os, visit:os_version, visit:device, ' +
          'visit:screen (WxH, "" when unknown), visit:timezone, visit:language, time:minute, time:hour, time:day, time:week, time:month. ' +
          'visitors counts distinct daily visitor hashes with ClickHouse uniqCombined64 at precision 15 (exact below a few thousand, about 0.6% standard error above).',
        tags: ['stats'],
        security,
        body: QueryRequest,
        response: { 200: Type.Ref('StatsQueryResult'), ...errors },
      },
    },
    async (request) => app.stats.run(await readableSite(request, request.body.site_id), request.body),
  )

  app.post(
    '/api/v2/funnel',
    {
      onRequest: keyOrSession,
      schema: {
        summary: 'Visitors through a funnel of 2 to 8 steps',
        description:
          `${AUTH} ` +
          'A step is an event name or a page path (`*` matches any characters). A visit reaches a step when it reached the ' +
          'previous steps earlier in the same visit (ClickHouse windowFunnel over each visit\'s events in date_range); steps in ' +
          'another visit of the same visitor do not chain. visitors counts the visitors with a visit reaching the step; ' +
          'conversion_rate is the % of the first step, step_conversion_rate the % of the previous step, dropoff the visitors lost ' +
          'since the previous step. filters (as in /api/v2/query) choose which visits count.',
        tags: ['stats'],
        security,
        body: FunnelRequest,
        response: { 200: Type.Ref('FunnelResult'), ...errors },
      },
    },
    async (request) => {
      const site = await readableSite(request, request.body.site_id)
      const goals = request.body.filters?.some((filter) => filter[1] === 'event:goal') ? await app.goals.list(site.id) : []
      return runFunnel(app.clickhouse.client, site, request.body, goals)
    },
  )

  app.post(
    '/api/v2/export',
    {
      onRequest: keyOrSession,
      schema: {
        summary: 'CSV export of a dashboard view: one CSV per card, zipped',
        description:
          `${AUTH} ` +
          'Answers application/zip holding visitors.csv (the daily series) and one file per breakdown card (sources, referrers, ' +
          'UTM, pages, entry and exit pages, countries, regions, cities, ISPs, browsers and versions, operating systems and versions, ' +
          'devices, screens, time zones, languages, fonts, goals, custom events), each with the date range and filters given, ' +
          'up to 10,000 rows. Fields are quoted as RFC 4180 says; one starting with = + - @ gets a leading apostrophe so that ' +
          'a spreadsheet shows it rather than running it.',
        tags: ['stats'],
        security,
        body: ExportRequest,
        response: { 200: Type.String({ contentMediaType: 'application/zip' }), ...errors },
      },
    },
    async (request, reply) => {
      const site = await readableSite(request, request.body.site_id)
      const { filename, zip } = await exportView({ ...request.body, site_id: site.domain }, (query) => app.stats.run(site, query))
      return reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .header('cache-control', 'no-store')
        .send(Buffer.from(zip))
    },
  )
}
