// Operator routes for sites and Stats API keys (used by the CLI through a running server).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { DEFAULT_RETENTION_DAYS, type Site } from './service.ts'

export const SiteBody = Type.Object(
  {
    id: Type.Integer(),
    domain: Type.String(),
    aliases: Type.Array(Type.String()),
    timezone: Type.String(),
    retentionDays: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Site' },
)

const Retention = Type.Integer({ minimum: 1, maximum: 36500, description: 'Days events are kept' })
const Domain = Type.String({ minLength: 1, maxLength: 253 })
const Hostnames = Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 100 })
const Errors = { 400: Type.Ref('ErrorBody'), 401: Type.Ref('ErrorBody'), 404: Type.Ref('ErrorBody') }

const present = (site: Site) => ({ ...site, aliases: [...site.aliases] })

export const siteRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.requireOperator)

  app.post(
    '/api/admin/sites',
    {
      schema: {
        summary: 'Add a site',
        tags: ['sites'],
        body: Type.Object(
          {
            domain: Domain,
            aliases: Type.Optional(Hostnames),
            timezone: Type.Optional(Type.String({ maxLength: 64, default: 'UTC' })),
            retentionDays: Type.Optional({ ...Retention, default: DEFAULT_RETENTION_DAYS }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref('Site'), ...Errors, 409: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => reply.status(201).send(present(await app.sites.add(request.body))),
  )

  app.get(
    '/api/admin/sites',
    {
      schema: {
        summary: 'List sites',
        tags: ['sites'],
        response: { 200: Type.Object({ sites: Type.Array(Type.Ref('Site')) }), 401: Type.Ref('ErrorBody') },
      },
    },
    async () => ({ sites: (await app.sites.list()).map(present) }),
  )

  app.patch(
    '/api/admin/sites/:domain',
    {
      schema: {
        summary: "Change a site's hostnames, time zone or retention",
        description: 'A shorter retention also removes stored events older than it.',
        tags: ['sites'],
        params: Type.Object({ domain: Domain }),
        body: Type.Object(
          { aliases: Type.Optional(Hostnames), timezone: Type.Optional(Type.String({ maxLength: 64 })), retentionDays: Type.Optional(Retention) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Type.Ref('Site'), ...Errors },
      },
    },
    async (request) => present(await app.sites.update(request.params.domain, request.body)),
  )

  app.post(
    '/api/admin/sites/:domain/keys',
    {
      schema: {
        summary: 'Create a Stats API key for one site',
        description: 'The key is shown once; only its hash is stored.',
        tags: ['sites'],
        params: Type.Object({ domain: Domain }),
        response: {
          201: Type.Object({ key: Type.String(), prefix: Type.String(), domain: Type.String() }),
          ...Errors,
        },
      },
    },
    async (request, reply) => {
      const { key, prefix, site } = await app.sites.createKey(request.params.domain)
      return reply.status(201).send({ key, prefix, domain: site.domain })
    },
  )
}
