// POST /api/admin/seed: the operator (CLI) or an administrator fills a site with synthetic traffic.
// The answer streams as it goes, one JSON object a line: progress, then the summary (or an error).
import { PassThrough } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { MAX_DAYS, MAX_EVENTS, seedTraffic } from './seed.ts'

const SeedBody = Type.Object(
  {
    site: Type.String({ minLength: 1, maxLength: 253, description: 'The domain of the site to fill' }),
    events: Type.Integer({ minimum: 1, maximum: MAX_EVENTS, description: 'Events rows to write (pageviews and custom events)' }),
    days: Type.Integer({ minimum: 1, maximum: MAX_DAYS, description: 'Days, ending now, the traffic is spread over' }),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffffff, description: 'The same seed gives the same traffic' })),
  },
  { additionalProperties: false },
)

const Errors = {
  400: Type.Ref('ErrorBody'),
  401: Type.Ref('ErrorBody'),
  403: Type.Ref('ErrorBody'),
  404: Type.Ref('ErrorBody'),
}

/** One line of the streamed answer. */
export type SeedStreamLine =
  | { progress: { events: number; total: number; visits: number; elapsed: number } }
  | { summary: { events: number; visits: number; seconds: number } }
  | { error: string; message: string }

const line = (value: SeedStreamLine) => `${JSON.stringify(value)}\n`

export const seedRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.requireOperatorOrAdmin)

  app.post(
    '/api/admin/seed',
    {
      schema: {
        summary: 'Fill a site with synthetic traffic',
        description:
          'Writes exactly `events` events rows and their visits straight into ClickHouse, spread over the last `days` days. ' +
          'The answer is newline-delimited JSON: `{"progress":…}` lines, then `{"summary":…}` or `{"error":…}`. Closing the connection stops it.',
        tags: ['sites (administration)'],
        body: SeedBody,
        response: { 200: Type.String({ description: 'application/x-ndjson' }), ...Errors },
      },
    },
    async (request, reply) => {
      const { site: domain, events, days, seed } = request.body
      const site = await app.sites.get(domain)
      const stream = new PassThrough()
      const stop = new AbortController()
      // The response closes unfinished only when the client went away: then the seeding stops.
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) stop.abort()
      })
      const write = (value: SeedStreamLine) => {
        if (!stream.destroyed) stream.write(line(value))
      }
      seedTraffic(app.clickhouse.insertRows, site, { events, days, ...(seed === undefined ? {} : { seed }), signal: stop.signal }, (progress) =>
        write({ progress }),
      ).then(
        (summary) => stream.end(line({ summary })),
        (error: unknown) => {
          if (!stop.signal.aborted) request.log.error({ err: error }, 'seeding failed')
          stream.end(line({ error: 'seed_failed', message: 'seeding stopped early; the server log has the cause' }))
        },
      )
      return reply.type('application/x-ndjson').send(stream)
    },
  )
}
