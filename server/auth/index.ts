// Authorization scopes, one hook each; routes pick their scope, nothing matches URLs.
// - operator: whoever runs this installation (the CLI), by the token in DATA_DIR/candor.lock, or
//   derived from SECRET_KEY when the databases are external and there is no lock;
// - user: a login session (cookie), with CSRF protection on every state-changing request and,
//   unless the route allows it, the current policy and terms accepted;
// - admin: a user whose role is admin (or the operator, on the admin routes);
// - site role: a user who is admin, or staff of the site named in the route (viewer < manager);
//   for anyone else the site does not exist (404), so nothing tells which sites there are;
// - stats key: a Stats API key, which reaches the sites its owner may read, or the one it names.
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { User } from '../accounts/service.ts'
import type { Config } from '../config.ts'
import { forbidden, HttpError, notFound, unauthorized } from '../errors.ts'
import type { Site, SiteRole } from '../sites/index.ts'

export const SESSION_COOKIE = 'candor_session'

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

declare module 'fastify' {
  interface FastifyInstance {
    requireOperator: Hook
    requireUser: Hook
    requireAdmin: Hook
    /** The operator's token, or an admin's session. */
    requireOperatorOrAdmin: Hook
    requireSiteRole: (role: SiteRole) => Hook
    requireStatsKey: Hook
    /** Whether a user may read a site's data (admin, or staff of the site). */
    canRead: (user: User, site: Site) => Promise<boolean>
  }
  interface FastifyRequest {
    /** The signed-in user, set by requireUser. */
    user: User | null
    /** The session's id (the cookie value) and CSRF token, set by requireUser. */
    session: { id: string; csrfToken: string } | null
    /** The site named in the route and the user's role there, set by requireSiteRole. */
    siteAccess: { site: Site; role: SiteRole | 'admin' } | null
    /** What a Stats API key reaches, set by requireStatsKey. */
    statsKey: { siteId: number | null; userId: number | null } | null
  }
  interface FastifyContextConfig {
    /** The route works before the current policy and terms are accepted (accepting them, logging out, own data). */
    allowPendingAcceptance?: boolean
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

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const ROLE_RANK: Record<SiteRole | 'admin', number> = { viewer: 1, manager: 2, admin: 3 }

/** The origin a browser request came from: Origin, else Referer's origin. */
function requestOrigin(request: FastifyRequest): string | null {
  const origin = request.headers.origin
  if (origin) return origin
  const referer = request.headers.referer
  if (!referer) return null
  try {
    return new URL(referer).origin
  } catch {
    return null
  }
}

export const authPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const token = operatorToken(config, app.dataDirLock?.token ?? null)
    const ownOrigin = new URL(config.publicUrl).origin
    app.decorateRequest('user', null)
    app.decorateRequest('session', null)
    app.decorateRequest('siteAccess', null)
    app.decorateRequest('statsKey', null)

    const isOperator = (request: FastifyRequest) => {
      const presented = bearer(request)
      return presented !== null && token !== null && same(presented, token)
    }

    app.decorate('requireOperator', async (request: FastifyRequest) => {
      if (!isOperator(request)) throw unauthorized('operator routes need the operator token (the CLI finds it in DATA_DIR/candor.lock)')
    })

    const requireUser: Hook = async (request) => {
      const id = request.cookies[SESSION_COOKIE]
      const session = id ? await app.accounts.findSession(id) : null
      if (!id || !session) throw unauthorized('sign in first')
      if (!SAFE_METHODS.has(request.method)) {
        // A state-changing request must come from our own pages: same origin, and the session's token.
        const origin = requestOrigin(request)
        const presented = request.headers['x-csrf-token']
        if (origin !== ownOrigin) throw new HttpError(403, 'csrf', `requests that change something must come from ${ownOrigin}`)
        if (typeof presented !== 'string' || !same(presented, session.csrfToken)) {
          throw new HttpError(403, 'csrf', 'send the session\'s CSRF token in the X-CSRF-Token header')
        }
      }
      request.user = await app.accounts.get(session.userId)
      request.session = { id, csrfToken: session.csrfToken }
      if (!request.routeOptions.config.allowPendingAcceptance && (await app.accounts.pendingAcceptance(session.userId)).length > 0) {
        throw new HttpError(403, 'acceptance_required', 'accept the current privacy policy and terms first (POST /api/account/accept)')
      }
    }
    app.decorate('requireUser', requireUser)

    app.decorate('requireAdmin', async (request: FastifyRequest, reply: FastifyReply) => {
      await requireUser(request, reply)
      if (request.user?.role !== 'admin') throw forbidden('this needs an administrator')
    })

    app.decorate('requireOperatorOrAdmin', async (request: FastifyRequest, reply: FastifyReply) => {
      if (isOperator(request)) return
      if (!request.cookies[SESSION_COOKIE]) throw unauthorized('send the operator token, or sign in as an administrator')
      await app.requireAdmin(request, reply)
    })

    app.decorate('canRead', async (user: User, site: Site) => user.role === 'admin' || (await app.sites.roleOf(user.id, site.id)) !== null)

    app.decorate('requireSiteRole', (needed: SiteRole): Hook => async (request, reply) => {
      await requireUser(request, reply)
      const domain = (request.params as { domain?: string }).domain ?? ''
      const site = await app.sites.find(domain.toLowerCase())
      const user = request.user!
      const role = user.role === 'admin' ? 'admin' : site ? await app.sites.roleOf(user.id, site.id) : null
      if (!site || role === null) throw notFound(`no site with the domain ${domain}`)
      if (ROLE_RANK[role] < ROLE_RANK[needed]) throw forbidden(`this needs the ${needed} role on ${site.domain}`)
      request.siteAccess = { site, role }
    })

    app.decorate('requireStatsKey', async (request: FastifyRequest) => {
      const key = bearer(request)
      if (!key) throw unauthorized('send a Stats API key as `Authorization: Bearer <key>`')
      const reach = await app.sites.keyReach(key)
      if (reach === null) throw unauthorized('the Stats API key is unknown or revoked')
      request.statsKey = reach
    })
  },
  { name: 'auth', dependencies: ['databases'] },
)
