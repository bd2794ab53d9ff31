// buildApp(config): the Fastify application with every context registered as a plugin.
import { readFileSync } from 'node:fs'
import type { Writable } from 'node:stream'
import cookie from '@fastify/cookie'
import rateLimit from '@fastify/rate-limit'
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import { accountsPlugin } from './accounts/index.ts'
import { assetsPlugin } from './assets/index.ts'
import { authPlugin } from './auth/index.ts'
import type { Config } from './config.ts'
import { consentPlugin } from './consent/index.ts'
import { databasesPlugin } from './db/index.ts'
import { documentsPlugin } from './documents/index.ts'
import { emailPlugin } from './email/index.ts'
import { goalsPlugin } from './goals/index.ts'
import type { ClickHouseOptions } from './db/clickhouse.ts'
import { registerErrorHandling } from './errors.ts'
import { ingestPlugin, type IngestPluginOptions } from './ingest/index.ts'
import { observabilityPlugin } from './observability/index.ts'
import { privacyPlugin } from './privacy/index.ts'
import { sharePlugin } from './share/index.ts'
import { seedPlugin } from './seed/index.ts'
import { sitesPlugin } from './sites/index.ts'
import { statsPlugin } from './stats/index.ts'

export interface AppOptions {
  /** Wraps the ClickHouse connections (tests inject faults here). */
  clickhouse?: ClickHouseOptions
  writer?: IngestPluginOptions['writer']
  /** Where log lines go (stdout by default). */
  logStream?: Writable
}

/**
 * Log lines never hold a client address: the request serializer keeps method, path and id only
 * (no remoteAddress, no headers, no query string).
 */
const serializers = {
  req: (request: { method: string; url: string; id: string }) => ({
    id: request.id,
    method: request.method,
    path: request.url.split('?')[0],
  }),
  res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
}

const MALFORMED_BODY = JSON.stringify({ error: 'invalid_request', message: 'the HTTP request is malformed' })
const MALFORMED_REQUEST =
  'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json\r\n' +
  `Content-Length: ${Buffer.byteLength(MALFORMED_BODY)}\r\n\r\n${MALFORMED_BODY}`

/** Per-request lines at debug level: at ingest rates an info line per event would be most of the work. */
class RequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request')
  }
  override requestCompleted(error: Error | null | undefined, _request: FastifyRequest, reply: FastifyReply): void {
    reply.log.debug({ res: reply, ms: Math.round(reply.elapsedTime), ...(error ? { err: error } : {}) }, 'request completed')
  }
}

export async function buildApp(config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const logger: FastifyServerOptions['logger'] =
    config.logLevel === 'silent'
      ? false
      : { level: config.logLevel, serializers, ...(options.logStream ? { stream: options.logStream } : {}) }
  const hops = config.trustProxy
  const options_: FastifyServerOptions = {
    logger,
    // A hop count trusts that many proxies in front of us (Fastify passes the hop index).
    trustProxy: typeof hops === 'number' ? (_address: string, hop: number) => hop < hops : hops,
    logController: new RequestLog(),
    // Malformed HTTP never reaches a route. Fastify's own handler logs the raw packet at trace
    // level, headers (X-Forwarded-For) included; this one answers and logs nothing of it.
    clientErrorHandler: (_error, socket) => {
      if (socket.writable) socket.end(MALFORMED_REQUEST)
    },
    // Opening the embedded databases and migrating can take a while on a busy machine.
    pluginTimeout: 120_000,
    // TypeBox checks bodies exactly as sent (no type coercion: {"n": 42} is a 400, not "42") and
    // converts only query strings, params and headers. Set as the factory, not with
    // setValidatorCompiler, so contexts that add shared schemas keep it too.
    schemaController: { compilersFactory: { buildValidator: (() => TypeBoxValidatorCompiler) as never } },
  }
  // With TLS the server is https; the instance API we use is the same, hence the one type.
  const app = (
    config.tls
      ? Fastify({ ...(options_ as object), https: { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) } })
      : Fastify(options_)
  ) as unknown as FastifyInstance

  registerErrorHandling(app)
  // On close, connections still answering a request become idle afterwards; closing them as they
  // do lets shutdown (and the spool drain after it) go on instead of waiting out keep-alive.
  app.addHook('preClose', (done) => {
    const closer = setInterval(() => app.server.closeIdleConnections(), 50)
    app.server.once('close', () => clearInterval(closer))
    done()
  })

  // External plugins, then the databases, then the contexts (each registers its own routes).
  await app.register(rateLimit, {
    global: false,
    cache: 100_000,
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
  })
  await app.register(cookie)
  await app.register(observabilityPlugin, { config })
  await app.register(databasesPlugin, { config, ...(options.clickhouse ? { clickhouse: options.clickhouse } : {}) })
  await app.register(emailPlugin, { config })
  await app.register(authPlugin, { config })
  await app.register(documentsPlugin, { config })
  await app.register(accountsPlugin, { config })
  await app.register(sitesPlugin, { config })
  await app.register(ingestPlugin, { config, ...(options.writer ? { writer: options.writer } : {}) })
  await app.register(consentPlugin, { config })
  await app.register(goalsPlugin)
  await app.register(statsPlugin)
  await app.register(sharePlugin, { config })
  await app.register(seedPlugin)
  await app.register(privacyPlugin)
  await app.register(assetsPlugin)
  return app
}
