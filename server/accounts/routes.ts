// Routes of the accounts context: registration, email verification, password reset, login and
// logout (/api/accounts), and the personal account (/api/account): profile, acceptance of the
// current policy and terms, sessions, download of one's data, deletion of the account.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import UAParser from 'ua-parser-js'
import type { Config } from '../config.ts'
import { HttpError, unauthorized } from '../errors.ts'
import { SESSION_COOKIE } from '../auth/index.ts'
import type { User } from './service.ts'
import { ABSOLUTE_MS } from './sessions.ts'
import { FailureThrottle } from './throttle.ts'

const Language = Type.Union([Type.Literal('en'), Type.Literal('ru')])
const Kind = Type.Union([Type.Literal('privacy'), Type.Literal('terms')])
const Password = Type.String({ minLength: 1, maxLength: 256 })
const Token = Type.String({ minLength: 10, maxLength: 200 })

export const UserBody = Type.Object(
  {
    id: Type.Integer(),
    firstName: Type.String(),
    lastName: Type.String(),
    email: Type.String(),
    login: Type.String(),
    role: Type.Union([Type.Literal('admin'), Type.Literal('customer')]),
    language: Language,
    emailVerified: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'User' },
)
const Pending = Type.Array(Type.Object({ kind: Kind, version: Type.Integer() }))
const SessionState = Type.Object({
  user: Type.Ref('User'),
  csrfToken: Type.String({ description: 'Send it as X-CSRF-Token with every request that changes something' }),
  pendingAcceptance: Pending,
})
const Errors = { 400: Type.Ref('ErrorBody'), 401: Type.Ref('ErrorBody'), 403: Type.Ref('ErrorBody') }

/** Failed logins: 5 per account and 20 per client address in 15 minutes. */
const FAILURE_WINDOW_MS = 15 * 60_000

export function accountRoutes(config: Config): FastifyPluginAsyncTypebox {
  return async (app) => {
    const byAccount = new FailureThrottle({ failures: 5, windowMs: FAILURE_WINDOW_MS })
    const byAddress = new FailureThrottle({ failures: 20, windowMs: FAILURE_WINDOW_MS })
    const tags = ['accounts']

    const setSessionCookie = (reply: FastifyReply, value: string) =>
      reply.setCookie(SESSION_COOKIE, value, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: config.secureCookies,
        maxAge: ABSOLUTE_MS / 1000,
      })
    const clearSessionCookie = (reply: FastifyReply) =>
      reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.secureCookies })

    /** Browser and OS names only, to tell one's sessions apart; never the header itself or an address. */
    const device = (request: FastifyRequest) => {
      const result = new UAParser(request.headers['user-agent'] ?? '').getResult()
      return [result.browser.name, result.os.name].filter(Boolean).join(' on ') || 'unknown device'
    }

    const sessionState = async (user: User, csrfToken: string) => ({
      user,
      csrfToken,
      pendingAcceptance: await app.accounts.pendingAcceptance(user.id),
    })

    app.post(
      '/api/accounts/register',
      {
        schema: {
          summary: 'Create an account',
          description: 'The body carries the versions of the privacy policy and the terms the person accepted; they must be the current ones. A confirmation link is mailed.',
          tags,
          body: Type.Object(
            {
              firstName: Type.String({ maxLength: 200 }),
              lastName: Type.String({ maxLength: 200 }),
              email: Type.String({ maxLength: 254 }),
              login: Type.String({ maxLength: 64 }),
              password: Password,
              language: Type.Optional(Language),
              accept: Type.Object({ privacy: Type.Integer({ minimum: 1 }), terms: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('User'), 400: Type.Ref('ErrorBody'), 409: Type.Ref('ErrorBody') },
        },
      },
      async (request, reply) => {
        const { accept, ...person } = request.body
        return reply.status(201).send(await app.accounts.register({ ...person, accepted: accept }))
      },
    )

    app.post(
      '/api/accounts/verify-email',
      {
        schema: { summary: 'Confirm an email address with the token from the mail', tags, body: Type.Object({ token: Token }, { additionalProperties: false }), response: { 200: Type.Ref('User'), 400: Type.Ref('ErrorBody') } },
      },
      async (request) => app.accounts.verifyEmail(request.body.token),
    )

    app.post(
      '/api/accounts/password-reset',
      {
        schema: {
          summary: 'Mail a password reset link',
          description: 'Answers 202 whether or not the address has an account.',
          tags,
          body: Type.Object({ email: Type.String({ maxLength: 254 }) }, { additionalProperties: false }),
          response: { 202: Type.Object({ status: Type.Literal('sent if the address has an account') }), 400: Type.Ref('ErrorBody') },
        },
      },
      async (request, reply) => {
        await app.accounts.requestPasswordReset(request.body.email)
        return reply.status(202).send({ status: 'sent if the address has an account' })
      },
    )

    app.post(
      '/api/accounts/password-reset/confirm',
      {
        schema: {
          summary: 'Set a new password with the token from the mail',
          description: 'Every session of the account ends.',
          tags,
          body: Type.Object({ token: Token, password: Password }, { additionalProperties: false }),
          response: { 204: Type.Null(), 400: Type.Ref('ErrorBody') },
        },
      },
      async (request, reply) => {
        await app.accounts.resetPassword(request.body.token, request.body.password)
        return reply.status(204).send(null)
      },
    )

    app.post(
      '/api/accounts/login',
      {
        schema: {
          summary: 'Sign in with an email address or a login',
          description: 'Sets the session cookie (HttpOnly, SameSite=Lax). The answer does not tell whether an account exists.',
          tags,
          body: Type.Object({ identifier: Type.String({ minLength: 1, maxLength: 254 }), password: Password }, { additionalProperties: false }),
          response: { 200: SessionState, 400: Type.Ref('ErrorBody'), 401: Type.Ref('ErrorBody'), 429: Type.Ref('ErrorBody') },
        },
      },
      async (request, reply) => {
        // Counted per account, whether it is named by its email address or its login.
        const account = await app.accounts.throttleKey(request.body.identifier)
        const wait = Math.max(byAccount.retryAfter(account), byAddress.retryAfter(request.ip))
        if (wait > 0) throw new HttpError(429, 'rate_limited', `too many failed sign-ins; try again in ${wait} s`, undefined, { 'retry-after': String(wait) })
        const user = await app.accounts.checkCredentials(request.body.identifier, request.body.password)
        if (!user) {
          byAccount.fail(account)
          byAddress.fail(request.ip)
          throw unauthorized('the email address, login or password is not right')
        }
        byAccount.clear(account)
        const { id, session } = await app.accounts.openSession(user, device(request))
        setSessionCookie(reply, id)
        return sessionState(user, session.csrfToken)
      },
    )

    app.post(
      '/api/accounts/logout',
      {
        onRequest: app.requireUser,
        config: { allowPendingAcceptance: true },
        schema: { summary: 'End this session', tags, response: { 204: Type.Null(), ...Errors } },
      },
      async (request, reply) => {
        await app.accounts.closeSession(request.session!.id)
        clearSessionCookie(reply)
        return reply.status(204).send(null)
      },
    )

    app.post(
      '/api/accounts/logout-everywhere',
      {
        onRequest: app.requireUser,
        config: { allowPendingAcceptance: true },
        schema: { summary: 'End every session of my account', tags, response: { 200: Type.Object({ ended: Type.Integer() }), ...Errors } },
      },
      async (request, reply) => {
        const ended = await app.accounts.closeAllSessions(request.user!.id)
        clearSessionCookie(reply)
        return { ended }
      },
    )

    // The personal account.
    const mine = ['personal account']

    app.get(
      '/api/account',
      {
        onRequest: app.requireUser,
        config: { allowPendingAcceptance: true },
        schema: { summary: 'My account, my CSRF token, and what I still have to accept', tags: mine, response: { 200: SessionState, ...Errors } },
      },
      async (request) => sessionState(request.user!, request.session!.csrfToken),
    )

    app.patch(
      '/api/account',
      {
        onRequest: app.requireUser,
        schema: {
          summary: 'Change my profile',
          description: 'A new email address takes effect once confirmed from the link mailed to it.',
          tags: mine,
          body: Type.Object(
            {
              firstName: Type.Optional(Type.String({ maxLength: 200 })),
              lastName: Type.Optional(Type.String({ maxLength: 200 })),
              login: Type.Optional(Type.String({ maxLength: 64 })),
              email: Type.Optional(Type.String({ maxLength: 254 })),
              language: Type.Optional(Language),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: Type.Object({ user: Type.Ref('User'), emailPending: Type.Union([Type.String(), Type.Null()]) }), ...Errors, 409: Type.Ref('ErrorBody') },
        },
      },
      async (request) => app.accounts.updateProfile(request.user!.id, request.body),
    )

    app.post(
      '/api/account/email/confirm',
      {
        schema: {
          summary: 'Confirm a new email address with the token from the mail',
          description: 'Sessions opened under the old address end.',
          tags: mine,
          body: Type.Object({ token: Token }, { additionalProperties: false }),
          response: { 200: Type.Ref('User'), 400: Type.Ref('ErrorBody'), 409: Type.Ref('ErrorBody') },
        },
      },
      async (request) => app.accounts.confirmEmailChange(request.body.token),
    )

    app.post(
      '/api/account/email/resend',
      { onRequest: app.requireUser, config: { allowPendingAcceptance: true }, schema: { summary: 'Mail the confirmation link again', tags: mine, response: { 202: Type.Null(), ...Errors } } },
      async (request, reply) => {
        await app.accounts.sendVerification(request.user!)
        return reply.status(202).send(null)
      },
    )

    app.post(
      '/api/account/accept',
      {
        onRequest: app.requireUser,
        config: { allowPendingAcceptance: true },
        schema: {
          summary: 'Accept the current privacy policy and/or terms',
          tags: mine,
          body: Type.Object({ privacy: Type.Optional(Type.Integer({ minimum: 1 })), terms: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false, minProperties: 1 }),
          response: { 200: Type.Object({ pendingAcceptance: Pending }), ...Errors },
        },
      },
      async (request) => {
        await app.accounts.accept(request.user!.id, request.body)
        return { pendingAcceptance: await app.accounts.pendingAcceptance(request.user!.id) }
      },
    )

    app.get(
      '/api/account/sessions',
      {
        onRequest: app.requireUser,
        schema: {
          summary: 'My sessions',
          tags: mine,
          response: {
            200: Type.Object({
              sessions: Type.Array(
                Type.Object({
                  device: Type.String(),
                  createdAt: Type.String({ format: 'date-time' }),
                  lastSeenAt: Type.String({ format: 'date-time' }),
                  expiresAt: Type.String({ format: 'date-time' }),
                  current: Type.Boolean(),
                }),
              ),
            }),
            ...Errors,
          },
        },
      },
      async (request) => ({
        sessions: (await app.accounts.sessions(request.user!.id)).map(({ device, createdAt, lastSeenAt, expiresAt, csrfToken }) => ({
          device,
          createdAt,
          lastSeenAt,
          expiresAt,
          current: csrfToken === request.session!.csrfToken,
        })),
      }),
    )

    app.get(
      '/api/account/export',
      {
        onRequest: app.requireUser,
        config: { allowPendingAcceptance: true },
        schema: {
          summary: 'Download my data',
          description: 'One JSON document with everything Candor holds about me, each context contributing its part.',
          tags: mine,
          response: { 200: Type.Record(Type.String(), Type.Unknown()), ...Errors },
        },
      },
      async (request, reply) => {
        reply.header('content-disposition', 'attachment; filename="candor-my-data.json"')
        return app.accounts.exportData(request.user!.id)
      },
    )

    app.delete(
      '/api/account',
      {
        onRequest: app.requireUser,
        config: { allowPendingAcceptance: true },
        schema: {
          summary: 'Delete my account',
          description: 'Confirmed with the password and the word DELETE. Personal data is erased in every context; only what the law requires is kept, without personal fields.',
          tags: mine,
          body: Type.Object({ password: Password, confirm: Type.Literal('DELETE') }, { additionalProperties: false }),
          response: { 200: Type.Object({ erased: Type.Array(Type.String()) }), ...Errors },
        },
      },
      async (request, reply) => {
        const user = request.user!
        await app.accounts.checkPasswordOf(user.id, request.body.password)
        const erased = await app.accounts.erase(user.id)
        request.log.info({ userId: user.id, contexts: erased }, 'account erased')
        clearSessionCookie(reply)
        return { erased }
      },
    )

    // Administration of accounts: the operator (CLI) and administrators.
    const admin = ['accounts (administration)']
    app.post(
      '/api/admin/users',
      {
        onRequest: app.requireOperatorOrAdmin,
        schema: {
          summary: 'Create an account (for example the first administrator)',
          description: 'The account is verified at once and accepts no documents on anyone’s behalf: its next sign-in asks.',
          tags: admin,
          body: Type.Object(
            {
              firstName: Type.String({ maxLength: 200 }),
              lastName: Type.String({ maxLength: 200 }),
              email: Type.String({ maxLength: 254 }),
              login: Type.String({ maxLength: 64 }),
              password: Password,
              role: Type.Union([Type.Literal('admin'), Type.Literal('customer')]),
              language: Type.Optional(Language),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('User'), ...Errors, 409: Type.Ref('ErrorBody') },
        },
      },
      async (request, reply) => reply.status(201).send(await app.accounts.createByOperator(request.body)),
    )

    app.get(
      '/api/admin/users',
      { onRequest: app.requireOperatorOrAdmin, schema: { summary: 'List accounts', tags: admin, response: { 200: Type.Object({ users: Type.Array(Type.Ref('User')) }), ...Errors } } },
      async () => ({ users: await app.accounts.list() }),
    )
  }
}
