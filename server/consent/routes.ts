// Routes of the consent context. The banner's (open to every origin): its site's configuration,
// decisions, and a consent's history for the holder of its receipt. Staff's (per site, through the
// authorization layer): the configuration's versions, a new version, and a consent's history.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import type { DecisionRequest } from '../../tracker/consent/protocol.ts'
import { badRequest, forbidden, notFound } from '../errors.ts'
import { UserAgentCache } from '../ingest/index.ts'
import { canonicalHostname, servesHostname } from '../sites/index.ts'
import { bannerConfig, type ConsentVersion } from './configs.ts'
import { consentReport, ReportQuery } from './report.ts'
import type { ConsentService } from './index.ts'
import { ConsentChangesBody, ConsentId, DecisionRequestBody, DecisionResponseBody } from './schemas.ts'

const BODY_LIMIT = 8 * 1024
const cors = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'Content-Type, X-Consent-Receipt',
  'access-control-expose-headers': 'ETag',
  'access-control-max-age': '86400',
}
/** When this server began to honour GPC the way /.well-known/gpc.json says (the spec's lastUpdate). */
const GPC_SINCE = '2026-11-28'

/** The hostname of an Origin header, or null when there is none or it names no web page (`null`, file:). */
function pageHostname(origin: string | undefined): string | null {
  if (!origin) return null
  try {
    const url = new URL(origin)
    // URL gives the hostname in lower case; a fully qualified name's trailing dot goes too.
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.hostname.replace(/\.$/, '') : null
  } catch {
    return null
  }
}

const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, Type.Ref('ErrorBody')]))
const presentVersion = (version: ConsentVersion) => ({
  version: version.version,
  policyVersion: version.policyVersion,
  policyUrl: version.policyUrl,
  expiryDays: version.expiryDays,
  retentionDays: version.retentionDays,
  categories: version.categories,
  overrides: version.overrides,
  texts: version.texts,
  textsSha256: version.textsSha256,
  createdAt: version.createdAt,
})

export function bannerRoutes(consent: ConsentService, rateLimitPerMinute: number): FastifyPluginAsyncTypebox {
  return async (app) => {
    const agents = new UserAgentCache(5_000)
    // Banners send JSON as text/plain, as the tracker does, so that no CORS preflight is needed.
    app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string))
      } catch {
        done(badRequest('the body must be a JSON object'), undefined)
      }
    })
    // Every answer here, errors included, is readable by the page that asked.
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(cors)
      done()
    })
    const preflight = async (_request: unknown, reply: FastifyReply) => reply.status(204).send()
    for (const url of ['/api/consent', '/api/consent/config', '/api/consent/:consentId']) app.options(url, { schema: { hide: true } }, preflight)
    const tags = ['consent']

    app.get(
      '/api/consent/config',
      {
        schema: {
          summary: "A site's banner configuration",
          description: 'Categories, services and their cookies, texts by language, the Consent Mode mapping, the policy version and URL, and how long a decision lasts. Cached with an ETag.',
          tags,
          querystring: Type.Object({ domain: Type.String({ minLength: 1, maxLength: 253 }) }),
          response: { 200: Type.Ref('ConsentBannerConfig'), 304: Type.Null(), ...errors(400, 404) },
        },
      },
      async (request, reply) => {
        const site = await app.sites.find(canonicalHostname(request.query.domain) ?? '')
        if (!site) throw notFound(`no site with the domain ${request.query.domain}`)
        const version = await consent.configs.current(site.id)
        // The version number alone would repeat after a site is removed and added again.
        const etag = `"${site.id}-${version.version}-${version.textsSha256.en!.slice(0, 12)}"`
        reply.header('etag', etag).header('cache-control', 'public, max-age=60, stale-while-revalidate=300')
        // A proxy that compresses the answer weakens the tag (W/"…"); it still names this version.
        const asked = (request.headers['if-none-match'] ?? '').split(',').map((tag) => tag.trim().replace(/^W\//, ''))
        if (asked.includes(etag)) return reply.status(304).send(null)
        return bannerConfig(site.domain, version)
      },
    )

    app.post(
      '/api/consent',
      {
        bodyLimit: BODY_LIMIT,
        config: { rateLimit: { max: rateLimitPerMinute, timeWindow: 60_000 } },
        schema: {
          summary: 'Record a consent decision',
          description:
            'Appends one record. The first decision of a consent gets a new consent id and a secret receipt; later decisions ' +
            'send both. The hash of the texts shown is computed here from the configuration version named. Sent as text/plain JSON.',
          tags,
          body: DecisionRequestBody,
          response: { 201: DecisionResponseBody, ...errors(400, 403, 404, 413, 415, 429) },
        },
      },
      async (request, reply) => {
        const site = await app.sites.find(canonicalHostname(request.body.domain) ?? '')
        if (!site) throw notFound(`no site with the domain ${request.body.domain}`)
        // Browsers name the page's origin; a page of another site cannot fill this site's records.
        const origin = pageHostname(request.headers.origin)
        if (origin !== null && !servesHostname(site, origin)) throw forbidden(`decisions for ${site.domain} come from its own pages, not ${origin}`)
        // The IP gives the country and is dropped here; it is never stored.
        const agent = agents.get(request.headers['user-agent'] ?? '')
        const decision = await consent.records.decide(request.body as DecisionRequest, {
          siteId: site.id,
          retentionDays: (await consent.configs.current(site.id)).retentionDays,
          country: app.ingest.geo.locate(request.ip).countryCode,
          browser: agent.browser,
          receivedAt: Date.now(),
        })
        return reply.status(201).send(decision)
      },
    )

    app.get(
      '/api/consent/:consentId',
      {
        config: { rateLimit: { max: rateLimitPerMinute, timeWindow: 60_000 } },
        schema: {
          summary: "A consent's history, for the holder of its receipt",
          description: 'The receipt goes in the X-Consent-Receipt header, never in the URL. A wrong receipt answers as an unknown id.',
          tags,
          params: Type.Object({ consentId: ConsentId }),
          headers: Type.Object({ 'x-consent-receipt': Type.Optional(Type.String({ maxLength: 128 })) }),
          response: { 200: Type.Ref('ConsentHistory'), ...errors(400, 404, 429) },
        },
      },
      async (request, reply) => {
        const receipt = request.headers['x-consent-receipt']
        if (!receipt) throw badRequest("send the consent's receipt in the X-Consent-Receipt header", 'x-consent-receipt')
        const history = await consent.records.history(request.params.consentId, receipt)
        if (!history) throw notFound('no consent with this id and receipt')
        reply.header('cache-control', 'no-store')
        return { consentId: request.params.consentId, domain: (await app.sites.getById(history.siteId)).domain, records: history.records }
      },
    )
  }
}

export function gpcRoute(): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/.well-known/gpc.json',
      {
        schema: {
          summary: 'Global Privacy Control support',
          description: 'Says that this server honours the GPC signal (https://privacycg.github.io/gpc-spec/).',
          tags: ['consent'],
          response: { 200: Type.Object({ gpc: Type.Boolean(), lastUpdate: Type.String() }) },
        },
      },
      async (_request, reply) => {
        reply.header('access-control-allow-origin', '*').header('cache-control', 'public, max-age=86400')
        return { gpc: true, lastUpdate: GPC_SINCE }
      },
    )
  }
}

export function staffConsentRoutes(consent: ConsentService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['consent (staff)']
    const DomainParams = Type.Object({ domain: Type.String({ minLength: 1, maxLength: 253 }) })
    const VersionSummary = Type.Object({
      version: Type.Integer(),
      policyVersion: Type.Integer(),
      textsSha256: Type.Record(Type.String(), Type.String()),
      createdAt: Type.String({ format: 'date-time' }),
    })

    app.get(
      '/api/sites/:domain/consent',
      {
        onRequest: app.requireSiteRole('viewer'),
        schema: {
          summary: "A site's consent configuration and the list of its versions",
          tags,
          params: DomainParams,
          response: { 200: Type.Object({ current: Type.Ref('ConsentVersion'), versions: Type.Array(VersionSummary) }), ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const versions = await consent.configs.versions(request.siteAccess!.site.id)
        return {
          current: presentVersion(versions[0]!),
          versions: versions.map(({ version, policyVersion, textsSha256, createdAt }) => ({ version, policyVersion, textsSha256, createdAt })),
        }
      },
    )

    app.get(
      '/api/sites/:domain/consent/versions/:version',
      {
        onRequest: app.requireSiteRole('viewer'),
        schema: {
          summary: 'One version of the consent configuration, with the texts it showed',
          tags,
          params: Type.Object({ domain: DomainParams.properties.domain, version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }),
          response: { 200: Type.Ref('ConsentVersion'), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const version = await consent.configs.version(request.siteAccess!.site.id, request.params.version)
        if (!version) throw notFound(`${request.siteAccess!.site.domain} has no consent configuration version ${request.params.version}`)
        return presentVersion(version)
      },
    )

    app.post(
      '/api/sites/:domain/consent/versions',
      {
        onRequest: app.requireSiteRole('manager'),
        schema: {
          summary: 'Change the consent configuration, or publish a new policy version',
          description:
            'Writes the next version; earlier ones never change. `categories` replaces the list ("necessary" stays first and on); ' +
            '`texts` replaces the site\'s own texts of each language named (null removes one); `newPolicyVersion` asks every visitor again.',
          tags,
          params: DomainParams,
          body: ConsentChangesBody,
          response: { 201: Type.Ref('ConsentVersion'), ...errors(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const site = request.siteAccess!.site
        const { previous, next } = await consent.configs.change(site.id, request.body, request.user!.id)
        if (next.retentionDays !== previous.retentionDays) {
          // The version is written; records already stored follow now, or in the hourly pass if this fails.
          await consent.records.applyRetention(site.id, next.retentionDays).catch((error: unknown) => {
            request.log.warn({ err: error }, 'applying a changed consent retention failed; the hourly pass retries it')
          })
        }
        return reply.status(201).send(presentVersion(next))
      },
    )

    app.get(
      '/api/sites/:domain/consent/report',
      {
        onRequest: app.requireSiteRole('viewer'),
        schema: {
          summary: 'Consent decisions per day and method, grant rate per category, decisions per policy version, visits counted in full',
          description:
            'Days are the site\'s own. Categories and versions count the visitors\' choices (not the banner\'s expired_reprompt records); ' +
            '"necessary" is always granted and left out. Visits come from the analytics: full = the consented tier.',
          tags,
          params: DomainParams,
          querystring: ReportQuery,
          response: { 200: Type.Ref('ConsentReport'), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => consentReport(app.clickhouse.client, request.siteAccess!.site, request.query),
    )

    app.get(
      '/api/sites/:domain/consents/:consentId',
      {
        onRequest: app.requireSiteRole('viewer'),
        schema: {
          summary: "A consent's history, for a data subject's request",
          tags,
          params: Type.Object({ domain: DomainParams.properties.domain, consentId: ConsentId }),
          response: { 200: Type.Ref('ConsentHistory'), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const site = request.siteAccess!.site
        const records = await consent.records.historyOnSite(site.id, request.params.consentId)
        if (!records) throw notFound(`${site.domain} has no consent ${request.params.consentId}`)
        return { consentId: request.params.consentId, domain: site.domain, records }
      },
    )
  }
}
