// Observability: Prometheus metrics, the health check, and the OpenAPI document generated from
// the route schemas of every context.
import swagger from '@fastify/swagger'
import fp from 'fastify-plugin'
import { Type } from 'typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Config } from '../config.ts'
import { createMetrics, type Metrics } from './metrics.ts'

export type { Metrics } from './metrics.ts'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

const Check = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) })
const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  clickhouse: Check,
  postgres: Check,
  spool: Type.Object({
    writable: Type.Boolean({ description: 'False after a disk error: events are refused until a restart' }),
    backlogBytes: Type.Integer(),
    committedOffset: Type.Integer(),
    durableOffset: Type.Integer(),
  }),
})

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/health',
    {
      schema: {
        summary: 'Whether both databases answer, and how much is waiting in the spool',
        tags: ['operations'],
        response: { 200: Health, 503: Health },
      },
    },
    async (request, reply) => {
      // The answer is public: the reason goes to the log, not to the caller (it may name hosts).
      const check = async (name: string, probe: () => Promise<unknown>) => {
        try {
          await probe()
          return { ok: true }
        } catch (error) {
          request.log.warn({ err: error }, `health check: ${name} is unreachable`)
          return { ok: false, error: 'unreachable' }
        }
      }
      const [clickhouse, postgres] = await Promise.all([
        check('ClickHouse', async () => {
          const ping = await app.clickhouse.client.ping()
          if (!ping.success) throw ping.error
        }),
        check('Postgres', () => app.postgres.query('SELECT 1')),
      ])
      const { spool } = app.ingest
      const ok = clickhouse.ok && postgres.ok && !spool.failed
      return reply.status(ok ? 200 : 503).send({
        status: ok ? 'ok' : 'degraded',
        clickhouse,
        postgres,
        spool: { writable: !spool.failed, backlogBytes: spool.backlogBytes, committedOffset: spool.committed, durableOffset: spool.durableEnd },
      })
    },
  )

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'], produces: ['text/plain'] } }, async (_request, reply) => {
    reply.type(app.metrics.registry.contentType)
    return app.metrics.registry.metrics()
  })

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}

export const observabilityPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    app.decorate('metrics', createMetrics())
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'Candor',
          version: '0.1.0',
          description: 'Privacy-friendly web analytics and consent: event intake, Stats API, operations.',
        },
        servers: [{ url: config.publicUrl }],
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'Stats API key or operator token' },
            cookie: { type: 'apiKey', in: 'cookie', name: 'candor_session', description: 'A login session; state-changing requests also send X-CSRF-Token' },
          },
        },
      },
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    })
    await app.register(routes)
  },
  { name: 'observability' },
)
