// Public dashboards: a site's managers may let anyone with the link read its numbers, as Plausible
// and Fathom do, optionally behind a password. Policy promise 5 (nothing about a person leaves):
// only dimensions the anonymous tier also records, and no breakdown row of fewer than 5 visitors.
import { createHash, randomBytes } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Type } from 'typebox'
import { verifyPassword } from '../accounts/passwords.ts'
import type { Config } from '../config.ts'
import { badRequest, HttpError, notFound } from '../errors.ts'
import { canonicalHostname, type Site } from '../sites/index.ts'
import { ExportRequest, exportView } from '../stats/export.ts'
import { QueryRequest } from '../stats/schema.ts'
import { publicCards } from './export.ts'

export const SHARE_COOKIE = 'candor_share'
/** An unlocked public dashboard stays open in that browser this long. */
const UNLOCK_DAYS = 30
/** Breakdown rows with fewer visitors are left out: a small group could be one person. */
export const MIN_VISITORS = 5

/**
 * What a public dashboard may group and filter by: what the anonymous tier records too. Left out:
 * the full referrer, city, ISP, screen, fonts, full browser and OS versions (consented tier), and
 * custom event properties, which a site may fill with anything.
 */
export const PUBLIC_DIMENSIONS: ReadonlySet<string> = new Set([
  'time:minute', 'time:hour', 'time:day', 'time:week', 'time:month',
  'event:page', 'event:hostname', 'event:name', 'event:goal',
  'visit:entry_page', 'visit:exit_page', 'visit:source',
  'visit:utm_source', 'visit:utm_medium', 'visit:utm_campaign', 'visit:utm_content', 'visit:utm_term',
  'visit:country', 'visit:region', 'visit:device', 'visit:browser', 'visit:os', 'visit:timezone', 'visit:language',
])

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const Params = Type.Object({ domain: Type.String({ minLength: 1, maxLength: 253 }) })
const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, Type.Ref('ErrorBody')]))

const shareRoutes = (config: Config): FastifyPluginAsyncTypebox => async (app) => {
  const secure = new URL(config.publicUrl).protocol === 'https:'
  const tags = ['public dashboards']

  /** The site when its public dashboard is on; otherwise the same 404 as for no site at all. */
  const publicSite = async (domain: string): Promise<Site> => {
    const site = await app.sites.find(canonicalHostname(domain) ?? '')
    if (!site || !site.publicDashboard) throw notFound(`no public dashboard for ${domain}`)
    return site
  }

  const unlocked = async (request: FastifyRequest, site: Site): Promise<boolean> => {
    if (!site.publicPasswordSet) return true
    const token = request.cookies[SHARE_COOKIE]
    if (!token) return false
    const rows = await app.postgres.query('SELECT 1 FROM share_sessions WHERE id_hash = $1 AND site_id = $2 AND expires_at > now()', [sha256(token), site.id])
    return rows.length > 0
  }

  const readable = async (request: FastifyRequest, domain: string): Promise<Site> => {
    const site = await publicSite(domain)
    if (!(await unlocked(request, site))) throw new HttpError(401, 'password_required', 'this public dashboard asks for its password first')
    return site
  }

  app.get(
    '/api/share/:domain',
    {
      schema: {
        summary: 'Whether a public dashboard exists and asks for a password',
        tags,
        params: Params,
        response: {
          200: Type.Object({ domain: Type.String(), timezone: Type.String(), password_required: Type.Boolean(), unlocked: Type.Boolean() }),
          ...errors(400, 404),
        },
      },
    },
    async (request) => {
      const site = await publicSite(request.params.domain)
      return { domain: site.domain, timezone: site.timezone, password_required: site.publicPasswordSet, unlocked: await unlocked(request, site) }
    },
  )

  app.post(
    '/api/share/:domain/unlock',
    {
      // Guessing passwords: ten tries a minute per address and dashboard.
      config: { rateLimit: { max: 10, timeWindow: 60_000, keyGenerator: (request: FastifyRequest) => `share:${request.ip}:${(request.params as { domain?: string }).domain ?? ''}` } },
      schema: {
        summary: "Open a password-protected public dashboard in this browser (an HttpOnly cookie for the dashboard's API)",
        tags,
        params: Params,
        body: Type.Object({ password: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errors(400, 401, 404, 429) },
      },
    },
    async (request, reply) => {
      const site = await publicSite(request.params.domain)
      const [row] = await app.postgres.query<{ public_password_hash: string | null }>('SELECT public_password_hash FROM sites WHERE id = $1', [site.id])
      const hash = row?.public_password_hash ?? null
      if (hash === null) return reply.status(204).send(null)
      if (!(await verifyPassword(hash, request.body.password))) throw new HttpError(401, 'wrong_password', 'that is not the password of this public dashboard')
      const token = randomBytes(32).toString('base64url')
      await app.postgres.query('DELETE FROM share_sessions WHERE expires_at < now()')
      await app.postgres.query('INSERT INTO share_sessions (id_hash, site_id, expires_at) VALUES ($1, $2, now() + make_interval(days => $3))', [sha256(token), site.id, UNLOCK_DAYS])
      reply.setCookie(SHARE_COOKIE, token, {
        path: `/api/share/${site.domain}`,
        httpOnly: true,
        sameSite: 'strict',
        secure,
        maxAge: UNLOCK_DAYS * 86_400,
      })
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/api/share/:domain/query',
    {
      schema: {
        summary: "Query a public dashboard's numbers (the Stats API, limited to what says nothing about a person)",
        description:
          `Dimensions and filters: ${[...PUBLIC_DIMENSIONS].join(', ')}. Breakdown rows (any dimension but time) with fewer than ` +
          `${MIN_VISITORS} visitors are left out. site_id must name the dashboard's site.`,
        tags,
        params: Params,
        body: QueryRequest,
        response: { 200: Type.Ref('StatsQueryResult'), ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const site = await readable(request, request.params.domain)
      const body = request.body
      if (canonicalHostname(body.site_id) !== site.domain) throw badRequest(`site_id must be ${site.domain}`, 'site_id')
      return app.stats.run(site, { ...body, site_id: site.domain }, { minVisitors: MIN_VISITORS, allowedDimensions: PUBLIC_DIMENSIONS })
    },
  )

  app.post(
    '/api/share/:domain/export',
    {
      // Each export is a query per card: a few a minute per address and dashboard.
      config: { rateLimit: { max: 6, timeWindow: 60_000, keyGenerator: (request: FastifyRequest) => `share-export:${request.ip}:${(request.params as { domain?: string }).domain ?? ''}` } },
      schema: {
        summary: "CSV export of a public dashboard's view: one CSV per card it shows, zipped",
        description:
          `Answers application/zip named <domain>-<from>-<to>.zip with ${publicCards(PUBLIC_DIMENSIONS).map((card) => card.file).join(', ')}; ` +
          `the same limits as the public dashboard's queries (filters on its dimensions only, no breakdown row of fewer than ${MIN_VISITORS} visitors). ` +
          "site_id must name the dashboard's site.",
        tags,
        params: Params,
        body: ExportRequest,
        // Codes spelled out rather than spread from errors(): only then does the typed reply take the zip's Buffer.
        response: { 200: Type.String({ contentMediaType: 'application/zip' }), 400: Type.Ref('ErrorBody'), 401: Type.Ref('ErrorBody'), 404: Type.Ref('ErrorBody'), 429: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => {
      const site = await readable(request, request.params.domain)
      if (canonicalHostname(request.body.site_id) !== site.domain) throw badRequest(`site_id must be ${site.domain}`, 'site_id')
      // One query at a time: anyone with the link may ask, and staff should not wait behind it.
      const { filename, zip } = await exportView(
        { ...request.body, site_id: site.domain },
        (query) => app.stats.run(site, query, { minVisitors: MIN_VISITORS, allowedDimensions: PUBLIC_DIMENSIONS }),
        { cards: publicCards(PUBLIC_DIMENSIONS), concurrency: 1 },
      )
      return reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .header('cache-control', 'no-store')
        .send(Buffer.from(zip))
    },
  )
}

export const sharePlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    await app.register(shareRoutes(config))
  },
  { name: 'share', dependencies: ['databases', 'sites', 'stats'] },
)
