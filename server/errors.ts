// Typed HTTP errors and the one error handler. 4xx bodies say what to fix ({error, message, field?});
// 5xx bodies reveal nothing. Every error is logged once, without the client's address.
import type { FastifyError, FastifyInstance } from 'fastify'
import { Type } from 'typebox'

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

export const badRequest = (message: string, field?: string) => new HttpError(400, 'invalid_request', message, field)
export const unauthorized = (message: string) =>
  new HttpError(401, 'unauthorized', message, undefined, { 'www-authenticate': 'Bearer' })
export const forbidden = (message: string) => new HttpError(403, 'forbidden', message)
export const notFound = (message: string) => new HttpError(404, 'not_found', message)
export const conflict = (message: string, field?: string) => new HttpError(409, 'conflict', message, field)
export const unavailable = (message: string, retryAfterSeconds: number) =>
  new HttpError(503, 'unavailable', message, undefined, { 'retry-after': String(retryAfterSeconds) })

/** The body of every 4xx/5xx answer; route schemas reference it for their error responses. */
export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'Machine-readable code' }),
    message: Type.String({ description: 'What went wrong and what to fix' }),
    field: Type.Optional(Type.String({ description: 'The offending field, when one is to blame' })),
  },
  { $id: 'ErrorBody' },
)

interface ErrorReply {
  status: number
  body: { error: string; message: string; field?: string }
  headers?: Readonly<Record<string, string>>
}

/** Maps Fastify's own errors (validation, parsing, limits) to our shape. */
function describe(error: FastifyError | HttpError): ErrorReply {
  if (error instanceof HttpError) {
    const body = { error: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) }
    return { status: error.statusCode, body, headers: error.headers }
  }
  if (error.validation) {
    const first = error.validation[0]
    const where = error.validationContext ?? 'request'
    const params = (first?.params ?? {}) as Record<string, unknown>
    // Ajv names a missing property in missingProperty, TypeBox in requiredProperties.
    const property =
      (params.missingProperty as string | undefined) ??
      (params.requiredProperties as string[] | undefined)?.[0] ??
      (params.additionalProperty as string | undefined)
    const path = [first?.instancePath?.replace(/^\//, '').replace(/\//g, '.'), property].filter(Boolean).join('.')
    let message = error.message
    // TypeBox reports an unknown property as its path failing the `false` schema.
    const unknownField = first?.keyword === 'additionalProperties' || first?.message === 'schema is false'
    if (unknownField) message = `${where} has an unknown field "${path}"`
    else if (first?.keyword === 'required') message = `${where} is missing the required field "${path}"`
    else if (first) message = `${where}${path ? ` field "${path}"` : ''} ${first.message ?? 'is invalid'}`
    return { status: 400, body: { error: 'invalid_request', message, ...(path ? { field: path } : {}) } }
  }
  const status = error.statusCode ?? 500
  if (status === 413) return { status, body: { error: 'payload_too_large', message: error.message } }
  if (status === 415) return { status, body: { error: 'unsupported_media_type', message: error.message } }
  if (status === 429) return { status, body: { error: 'rate_limited', message: error.message } }
  if (status >= 400 && status < 500) return { status, body: { error: 'invalid_request', message: error.message } }
  return { status: 500, body: { error: 'internal_error', message: 'Something went wrong on our side; it has been logged.' } }
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.addSchema(ErrorBody)
  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    const { status, body, headers } = describe(error)
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ status, error: body.error, field: body.field }, body.message)
    if (headers) reply.headers(headers)
    return reply.status(status).send(body)
  })
  app.setNotFoundHandler((request, reply) => {
    return reply.status(404).send({ error: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}` })
  })
}
