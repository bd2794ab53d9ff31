// /api/sites/:domain/goals and /api/sites/:domain/funnels: viewers list them, managers add and remove.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Funnel, Goal } from './service.ts'

const Kind = Type.Union([Type.Literal('event'), Type.Literal('page')])
const Domain = Type.String({ minLength: 1, maxLength: 253 })
const DomainParams = Type.Object({ domain: Domain })
const ItemParams = Type.Object({ domain: Domain, id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) })
const Errors = { 400: Type.Ref('ErrorBody'), 401: Type.Ref('ErrorBody'), 403: Type.Ref('ErrorBody'), 404: Type.Ref('ErrorBody') }

const GoalBody = Type.Object({
  id: Type.Integer(),
  kind: Kind,
  event_name: Type.Union([Type.String(), Type.Null()]),
  page_path: Type.Union([Type.String(), Type.Null()]),
  display_name: Type.String(),
})
const NewGoalBody = Type.Object(
  {
    kind: Kind,
    event_name: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    page_path: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
    display_name: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  },
  { additionalProperties: false },
)
const Step = Type.Object({ kind: Kind, value: Type.String({ maxLength: 4000 }) }, { additionalProperties: false })
const FunnelStepsBody = Type.Array(Step, { maxItems: 100 })
const FunnelBody = Type.Object({ id: Type.Integer(), name: Type.String(), steps: Type.Array(Step) })
const NewFunnelBody = Type.Object({ name: Type.String({ maxLength: 2000 }), steps: FunnelStepsBody }, { additionalProperties: false })

const presentGoal = (goal: Goal) => ({
  id: goal.id,
  kind: goal.kind,
  event_name: goal.eventName,
  page_path: goal.pagePath,
  display_name: goal.displayName,
})
const presentFunnel = (funnel: Funnel) => ({ id: funnel.id, name: funnel.name, steps: funnel.steps.map((step) => ({ ...step })) })

export const goalRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['goals']

  app.get(
    '/api/sites/:domain/goals',
    {
      onRequest: app.requireSiteRole('viewer'),
      schema: { summary: "The site's goals", tags, params: DomainParams, response: { 200: Type.Object({ goals: Type.Array(GoalBody) }), ...Errors } },
    },
    async (request) => ({ goals: (await app.goals.list(request.siteAccess!.site.id)).map(presentGoal) }),
  )

  app.post(
    '/api/sites/:domain/goals',
    {
      onRequest: app.requireSiteRole('manager'),
      schema: {
        summary: 'Add a goal',
        description:
          'kind "event" counts events named event_name (1 to 120 characters); kind "page" counts pageviews of page_path ' +
          '(starts with "/", at most 2000 characters, `*` matches any characters). display_name defaults to the event name ' +
          'or "Visit <page_path>" and is unique per site; stats name the goal by it (event:goal).',
        tags,
        params: DomainParams,
        body: NewGoalBody,
        response: { 201: GoalBody, ...Errors, 409: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => reply.status(201).send(presentGoal(await app.goals.add(request.siteAccess!.site.id, request.body))),
  )

  app.delete(
    '/api/sites/:domain/goals/:id',
    {
      onRequest: app.requireSiteRole('manager'),
      schema: { summary: 'Remove a goal', tags, params: ItemParams, response: { 204: Type.Null(), ...Errors } },
    },
    async (request, reply) => {
      await app.goals.remove(request.siteAccess!.site.id, request.params.id)
      return reply.status(204).send(null)
    },
  )

  app.get(
    '/api/sites/:domain/funnels',
    {
      onRequest: app.requireSiteRole('viewer'),
      schema: { summary: "The site's saved funnels", tags, params: DomainParams, response: { 200: Type.Object({ funnels: Type.Array(FunnelBody) }), ...Errors } },
    },
    async (request) => ({ funnels: (await app.funnels.list(request.siteAccess!.site.id)).map(presentFunnel) }),
  )

  app.post(
    '/api/sites/:domain/funnels',
    {
      onRequest: app.requireSiteRole('manager'),
      schema: {
        summary: 'Save a funnel',
        description: 'name: 1 to 120 characters, unique per site; steps: 2 to 8 of {kind: "event"|"page", value}, page values as goal paths.',
        tags,
        params: DomainParams,
        body: NewFunnelBody,
        response: { 201: FunnelBody, ...Errors, 409: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => reply.status(201).send(presentFunnel(await app.funnels.add(request.siteAccess!.site.id, request.body))),
  )

  app.delete(
    '/api/sites/:domain/funnels/:id',
    {
      onRequest: app.requireSiteRole('manager'),
      schema: { summary: 'Remove a saved funnel', tags, params: ItemParams, response: { 204: Type.Null(), ...Errors } },
    },
    async (request, reply) => {
      await app.funnels.remove(request.siteAccess!.site.id, request.params.id)
      return reply.status(204).send(null)
    },
  )
}
