// POST /api/event: the tracker's and Plausible's event intake.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { badRequest } from '../errors.ts'
import { EventPayload, normalize } from './payload.ts'
import type { Ingest } from './service.ts'

export const EVENT_BODY_LIMIT = 8 * 1024

const corsHeaders = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'Content-Type',
  'access-control-max-age': '86400',
}

export function eventRoutes(ingest: Ingest, rateLimitPerMinute: number): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Callback-style hooks: on the hottest route an async hook's promise is measurable.
    app.addHook('onResponse', (_request, reply, done) => {
      if (reply.statusCode >= 400) app.metrics.eventsRejected.inc({ status: String(reply.statusCode) })
      done()
    })
    // Trackers send JSON as text/plain so that no CORS preflight is needed.
    app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: EVENT_BODY_LIMIT }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string))
      } catch {
        done(badRequest('the body must be a JSON object'), undefined)
      }
    })

    app.options('/api/event', { schema: { hide: true } }, async (_request, reply) => reply.headers(corsHeaders).status(204).send())

    app.post(
      '/api/event',
      {
        bodyLimit: EVENT_BODY_LIMIT,
        config: { rateLimit: { max: rateLimitPerMinute, timeWindow: 60_000 } },
        onRequest: (_request, reply, done) => {
          reply.headers(corsHeaders)
          done()
        },
        schema: {
          summary: 'Record a pageview or custom event',
          description:
            'Accepts the Candor tracker payload, Plausible tracker payloads and the Plausible Events API. ' +
            'Answers 202 once the event is durably spooled; an event that is not stored (bot, unknown site, ' +
            'foreign hostname, consented-only event without consent) also answers 202, with an X-Candor-Dropped header.',
          tags: ['ingest'],
          body: EventPayload,
          response: {
            202: Type.Object({ status: Type.Union([Type.Literal('accepted'), Type.Literal('dropped')]), reason: Type.Optional(Type.String()) }),
            400: Type.Ref('ErrorBody'),
            413: Type.Ref('ErrorBody'),
            415: Type.Ref('ErrorBody'),
            429: Type.Ref('ErrorBody'),
            503: Type.Ref('ErrorBody'),
          },
        },
      },
      async (request, reply) => {
        const outcome = await ingest.accept(normalize(request.body), {
          ip: request.ip,
          userAgent: request.headers['user-agent'] ?? '',
          gpc: request.headers['sec-gpc'] === '1',
          receivedAt: Date.now(),
        })
        if (outcome.stored === 0) {
          reply.header('x-candor-dropped', outcome.dropped ?? 'unknown')
          return reply.status(202).send({ status: 'dropped', reason: outcome.dropped ?? 'unknown' })
        }
        // Some of several named sites may have dropped it; the header says so without failing the rest.
        if (outcome.dropped) reply.header('x-candor-dropped', outcome.dropped)
        return reply.status(202).send({ status: 'accepted' })
      },
    )
  }
}
