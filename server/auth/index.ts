// Authorization scopes, one hook each. Routes pick a scope; none matches URLs.
// - operator: whoever runs this installation (the CLI), by the token in DATA_DIR/candor.lock, or
//   derived from SECRET_KEY when the databases are external and there is no lock.
// - stats key: a Stats API key, which reaches exactly one site.
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { unauthorized } from '../errors.ts'

declare module 'fastify' {
  interface FastifyInstance {
    requireOperator: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    requireStatsKey: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
  interface FastifyRequest {
    /** The site a Stats API key reaches, set by requireStatsKey. */
    statsSiteId: number
  }
}

export function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return match ? match[1]! : null
}

const same = (a: string, b: string) => {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

export function operatorToken(config: Config, lockToken: string | null): string | null {
  if (lockToken) return lockToken
  return config.secretKey ? createHmac('sha256', config.secretKey).update('candor operator').digest('base64url') : null
}

export const authPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const token = operatorToken(config, app.dataDirLock?.token ?? null)
    app.decorateRequest('statsSiteId', 0)

    app.decorate('requireOperator', async (request: FastifyRequest) => {
      const presented = bearer(request)
      if (!presented || !token || !same(presented, token)) {
        throw unauthorized('operator routes need the operator token (the CLI finds it in DATA_DIR/candor.lock)')
      }
    })

    app.decorate('requireStatsKey', async (request: FastifyRequest) => {
      const key = bearer(request)
      if (!key) throw unauthorized('send a Stats API key as `Authorization: Bearer <key>` (npm run candor -- key create)')
      const siteId = await app.sites.siteForKey(key)
      if (siteId === null) throw unauthorized('the Stats API key is unknown or revoked')
      request.statsSiteId = siteId
    })
  },
  { name: 'auth', dependencies: ['databases'] },
)
