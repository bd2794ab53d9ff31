// Routes of the sites context: the operator's and administrators' (/api/admin/sites), and the
// ones staff use for their sites, their staff and invitations (/api/sites), and Stats API keys.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { parseEmail } from '../accounts/index.ts'
import { forbidden, notFound } from '../errors.ts'
import type { ApiKey } from './keys.ts'
import { DEFAULT_RETENTION_DAYS, type Site } from './service.ts'

export const SiteBody = Type.Object(
  {
    id: Type.Integer(),
    domain: Type.String(),
    aliases: Type.Array(Type.String()),
    timezone: Type.String(),
    retentionDays: Type.Integer(),
    publicDashboard: Type.Boolean(),
    publicPasswordSet: Type.Boolean({ description: 'Whether the public dashboard asks for a password' }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Site' },
)

const Retention = Type.Integer({ minimum: 1, maximum: 36500, description: 'Days events are kept' })
const Domain = Type.String({ minLength: 1, maxLength: 253 })
const Hostnames = Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 100 })
const Role = Type.Union([Type.Literal('viewer'), Type.Literal('manager')])
const Errors = {
  400: Type.Ref('ErrorBody'),
  401: Type.Ref('ErrorBody'),
  403: Type.Ref('ErrorBody'),
  404: Type.Ref('ErrorBody'),
}
const NewSiteBody = Type.Object(
  {
    domain: Domain,
    aliases: Type.Optional(Hostnames),
    timezone: Type.Optional(Type.String({ maxLength: 64, default: 'UTC' })),
    retentionDays: Type.Optional({ ...Retention, default: DEFAULT_RETENTION_DAYS }),
  },
  { additionalProperties: false },
)
const SiteChangesBody = Type.Object(
  {
    aliases: Type.Optional(Hostnames),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    retentionDays: Type.Optional(Retention),
    publicDashboard: Type.Optional(Type.Boolean({ description: 'A read-only dashboard of anonymous numbers at /share/<domain>' })),
    publicPassword: Type.Optional(
      Type.Union([Type.String({ minLength: 8, maxLength: 200 }), Type.Null()], { description: 'Ask this password on the public dashboard; null: ask none' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
)
const DomainParams = Type.Object({ domain: Domain })

const present = (site: Site) => ({ ...site, aliases: [...site.aliases] })

/** /api/admin/sites: the operator (CLI) and administrators. */
export const adminSiteRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.requireOperatorOrAdmin)
  const tags = ['sites (administration)']

  app.post(
    '/api/admin/sites',
    { schema: { summary: 'Add a site', tags, body: NewSiteBody, response: { 201: Type.Ref('Site'), ...Errors, 409: Type.Ref('ErrorBody') } } },
    async (request, reply) => reply.status(201).send(present(await app.sites.add(request.body))),
  )

  app.get(
    '/api/admin/sites',
    { schema: { summary: 'List every site', tags, response: { 200: Type.Object({ sites: Type.Array(Type.Ref('Site')) }), 401: Type.Ref('ErrorBody'), 403: Type.Ref('ErrorBody') } } },
    async () => ({ sites: (await app.sites.list()).map(present) }),
  )

  app.patch(
    '/api/admin/sites/:domain',
    {
      schema: {
        summary: "Change a site's hostnames, time zone, retention or public dashboard",
        description: 'A shorter retention also removes stored events older than it.',
        tags,
        params: DomainParams,
        body: SiteChangesBody,
        response: { 200: Type.Ref('Site'), ...Errors },
      },
    },
    async (request) => present(await app.sites.update(request.params.domain, request.body)),
  )

  app.post(
    '/api/admin/sites/:domain/keys',
    {
      schema: {
        summary: 'Create a Stats API key for one site, owned by no one',
        description: 'The key is shown once; only its hash is stored.',
        tags,
        params: DomainParams,
        response: { 201: Type.Object({ key: Type.String(), prefix: Type.String(), domain: Type.String() }), ...Errors },
      },
    },
    async (request, reply) => {
      const site = await app.sites.get(request.params.domain)
      const { key, record } = await app.sites.keys.createForSite(site)
      return reply.status(201).send({ key, prefix: record.prefix, domain: site.domain })
    },
  )
}

/** /api/sites and /api/invitations: people and the sites they are staff of. */
export const staffRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['sites']
  const SiteWithRole = Type.Object({ site: Type.Ref('Site'), role: Type.Union([Role, Type.Literal('admin')]) })
  const MemberBody = Type.Object({
    userId: Type.Integer(),
    firstName: Type.String(),
    lastName: Type.String(),
    email: Type.String(),
    login: Type.String(),
    role: Role,
    since: Type.String({ format: 'date-time' }),
  })
  const InvitationBody = Type.Object({
    email: Type.String(),
    role: Role,
    expiresAt: Type.String({ format: 'date-time' }),
    acceptedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
  })
  const MemberParams = Type.Object({ domain: Domain, userId: Type.Integer({ minimum: 1 }) })

  app.get(
    '/api/sites',
    { onRequest: app.requireUser, schema: { summary: 'The sites I may see, with my role', tags, response: { 200: Type.Object({ sites: Type.Array(SiteWithRole) }), 401: Type.Ref('ErrorBody'), 403: Type.Ref('ErrorBody') } } },
    async (request) => {
      const user = request.user!
      const sites = await app.sites.visibleTo(user.id, user.role === 'admin')
      return { sites: sites.map(({ site, role }) => ({ site: present(site), role })) }
    },
  )

  app.post(
    '/api/sites',
    {
      onRequest: app.requireUser,
      schema: {
        summary: 'Add a site and become its manager',
        description: 'Administrators, and people who manage a site already, may add sites.',
        tags,
        body: NewSiteBody,
        response: { 201: Type.Ref('Site'), ...Errors, 409: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => {
      const user = request.user!
      if (user.role !== 'admin' && !(await app.sites.staff.isManagerAnywhere(user.id))) {
        throw forbidden('only administrators and site managers add sites')
      }
      return reply.status(201).send(present(await app.sites.add(request.body, user.id)))
    },
  )

  app.get(
    '/api/sites/:domain',
    { onRequest: app.requireSiteRole('viewer'), schema: { summary: 'A site I may see', tags, params: DomainParams, response: { 200: SiteWithRole, ...Errors } } },
    async (request) => ({ site: present(request.siteAccess!.site), role: request.siteAccess!.role }),
  )

  app.patch(
    '/api/sites/:domain',
    {
      onRequest: app.requireSiteRole('manager'),
      schema: { summary: "Change a site's hostnames, time zone, retention or public dashboard", tags, params: DomainParams, body: SiteChangesBody, response: { 200: Type.Ref('Site'), ...Errors } },
    },
    async (request) => present(await app.sites.update(request.siteAccess!.site.domain, request.body)),
  )

  app.get(
    '/api/sites/:domain/members',
    { onRequest: app.requireSiteRole('manager'), schema: { summary: "A site's staff", tags, params: DomainParams, response: { 200: Type.Object({ members: Type.Array(MemberBody) }), ...Errors } } },
    async (request) => {
      const members = await app.sites.staff.members(request.siteAccess!.site.id)
      const people = await Promise.all(members.map((member) => app.accounts.get(member.userId)))
      return {
        members: members.map((member, index) => {
          const person = people[index]!
          return { ...member, firstName: person.firstName, lastName: person.lastName, email: person.email, login: person.login }
        }),
      }
    },
  )

  app.patch(
    '/api/sites/:domain/members/:userId',
    {
      onRequest: app.requireSiteRole('manager'),
      schema: { summary: "Change a staff member's role", tags, params: MemberParams, body: Type.Object({ role: Role }, { additionalProperties: false }), response: { 204: Type.Null(), ...Errors, 409: Type.Ref('ErrorBody') } },
    },
    async (request, reply) => {
      await app.sites.staff.change(request.siteAccess!.site.id, request.params.userId, request.body.role)
      return reply.status(204).send(null)
    },
  )

  app.delete(
    '/api/sites/:domain/members/:userId',
    {
      onRequest: app.requireSiteRole('manager'),
      schema: { summary: 'Remove someone from the staff', tags, params: MemberParams, response: { 204: Type.Null(), ...Errors, 409: Type.Ref('ErrorBody') } },
    },
    async (request, reply) => {
      await app.sites.staff.change(request.siteAccess!.site.id, request.params.userId, null)
      return reply.status(204).send(null)
    },
  )

  app.get(
    '/api/sites/:domain/invitations',
    { onRequest: app.requireSiteRole('manager'), schema: { summary: "A site's invitations", tags, params: DomainParams, response: { 200: Type.Object({ invitations: Type.Array(InvitationBody) }), ...Errors } } },
    async (request) => ({ invitations: await app.sites.staff.invitations(request.siteAccess!.site.id) }),
  )

  app.post(
    '/api/sites/:domain/invitations',
    {
      onRequest: app.requireSiteRole('manager'),
      schema: {
        summary: 'Invite someone to the staff by email',
        tags,
        params: DomainParams,
        body: Type.Object(
          { email: Type.String({ minLength: 3, maxLength: 254 }), role: Role, language: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('ru')])) },
          { additionalProperties: false },
        ),
        response: { 201: InvitationBody, ...Errors },
      },
    },
    async (request, reply) => {
      const email = parseEmail(request.body.email)
      const invitation = await app.sites.staff.invite(request.siteAccess!.site, email, request.body.role, request.user!.id, request.body.language ?? request.user!.language)
      return reply.status(201).send(invitation)
    },
  )

  app.post(
    '/api/invitations/accept',
    {
      onRequest: app.requireUser,
      schema: {
        summary: 'Accept an invitation to a site’s staff',
        tags,
        body: Type.Object({ token: Type.String({ minLength: 10, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: SiteWithRole, ...Errors },
      },
    },
    async (request) => {
      const user = request.user!
      const { siteId, role } = await app.sites.staff.accept(request.body.token, user)
      return { site: present(await app.sites.getById(siteId)), role }
    },
  )
}

/** /api/keys: a person's Stats API keys. */
export const keyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['Stats API keys']
  const KeyBody = Type.Object({
    id: Type.Integer(),
    name: Type.String(),
    prefix: Type.String(),
    site: Type.Union([Type.String(), Type.Null()], { description: 'The one site the key reaches, or null for all of mine' }),
    createdAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  })
  const present = async ({ siteId, ...key }: ApiKey) => ({
    ...key,
    site: siteId === null ? null : (await app.sites.getById(siteId)).domain,
  })

  app.get(
    '/api/keys',
    { onRequest: app.requireUser, schema: { summary: 'My Stats API keys', tags, response: { 200: Type.Object({ keys: Type.Array(KeyBody) }), 401: Type.Ref('ErrorBody'), 403: Type.Ref('ErrorBody') } } },
    async (request) => ({ keys: await Promise.all((await app.sites.keys.list(request.user!.id)).map(present)) }),
  )

  app.post(
    '/api/keys',
    {
      onRequest: app.requireUser,
      schema: {
        summary: 'Create a Stats API key',
        description: 'It reaches the sites I may read, or only `site`. The key is shown once; only its hash is stored.',
        tags,
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), site: Type.Optional(Domain) }, { additionalProperties: false }),
        response: { 201: Type.Object({ key: Type.String(), record: KeyBody }), ...Errors },
      },
    },
    async (request, reply) => {
      const user = request.user!
      let site: Site | null = null
      if (request.body.site !== undefined) {
        site = await app.sites.find(request.body.site.toLowerCase())
        if (!site || !(await app.canRead(user, site))) throw notFound(`no site with the domain ${request.body.site}`)
      }
      const { key, record } = await app.sites.keys.createForUser(user.id, site, request.body.name.trim())
      return reply.status(201).send({ key, record: await present(record) })
    },
  )

  app.delete(
    '/api/keys/:id',
    {
      onRequest: app.requireUser,
      schema: { summary: 'Revoke one of my Stats API keys', tags, params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), response: { 204: Type.Null(), ...Errors } },
    },
    async (request, reply) => {
      await app.sites.keys.revoke(request.user!.id, request.params.id)
      return reply.status(204).send(null)
    },
  )
}
