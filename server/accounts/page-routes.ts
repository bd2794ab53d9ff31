// GET shows the form a mail link opens; POST (a plain HTML form) does the work and shows the
// outcome. Errors a person can act on are shown on the page, in their language.
import formbody from '@fastify/formbody'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { SESSION_COOKIE } from '../auth/index.ts'
import type { Config } from '../config.ts'
import { HttpError } from '../errors.ts'
import { accountPage, pageLanguage, sendPage, TEXT, type Field, type PageLanguage } from './pages.ts'

const Query = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })), lang: Type.Optional(Type.String({ maxLength: 5 })) })
const FormBody = Type.Object({
  token: Type.String({ maxLength: 200 }),
  lang: Type.Optional(Type.String({ maxLength: 5 })),
  password: Type.Optional(Type.String({ maxLength: 256 })),
  confirm: Type.Optional(Type.String({ maxLength: 256 })),
  csrf: Type.Optional(Type.String({ maxLength: 100 })),
})
const html = { 200: Type.String({ description: 'An HTML page' }), 400: Type.String(), 403: Type.String() }
const hidden = { hide: true }

export function accountPageRoutes(config: Config): FastifyPluginAsyncTypebox {
  const ownOrigin = new URL(config.publicUrl).origin
  return async (app) => {
    // Plain HTML forms post url-encoded bodies; only the routes in this plugin accept them.
    await app.register(formbody, { bodyLimit: 4096 })

    /** Runs `work`; a refusal it throws becomes the page's message. */
    const outcome = async (reply: FastifyReply, language: PageLanguage, title: string, work: () => Promise<string>, retry?: () => string) => {
      try {
        return sendPage(reply, 200, accountPage({ language, title, message: await work() }))
      } catch (error) {
        if (!(error instanceof HttpError) || error.statusCode >= 500) throw error
        return sendPage(reply, error.statusCode, retry ? retry() : accountPage({ language, title, message: error.message, error: true }))
      }
    }

    const formPage = (request: FastifyRequest, reply: FastifyReply, title: string, action: string, button: string, fields: (token: string) => Field[]) => {
      const language = pageLanguage(request)
      const token = (request.query as { token?: string }).token
      if (!token) return sendPage(reply, 400, accountPage({ language, title, message: TEXT[language].missingToken, error: true }))
      return sendPage(reply, 200, accountPage({ language, title, form: { action, button, fields: [{ name: 'token', type: 'hidden', value: token }, ...fields(token)] } }))
    }

    app.get('/account/verify', { schema: { ...hidden, querystring: Query, response: html } }, async (request, reply) => {
      const text = TEXT[pageLanguage(request)]
      return formPage(request, reply, text.verifyTitle, '/account/verify', text.verifyButton, () => [])
    })
    app.post('/account/verify', { schema: { ...hidden, body: FormBody, response: html } }, async (request, reply) => {
      const language = pageLanguage(request)
      return outcome(reply, language, TEXT[language].verifyTitle, async () => {
        await app.accounts.verifyEmail(request.body.token)
        return TEXT[language].verified
      })
    })

    const passwordFields = (language: PageLanguage): Field[] => [
      { name: 'password', type: 'password', label: TEXT[language].newPassword, autocomplete: 'new-password' },
      { name: 'confirm', type: 'password', label: TEXT[language].repeatPassword, autocomplete: 'new-password' },
    ]
    app.get('/account/reset-password', { schema: { ...hidden, querystring: Query, response: html } }, async (request, reply) => {
      const language = pageLanguage(request)
      const text = TEXT[language]
      return formPage(request, reply, text.resetTitle, '/account/reset-password', text.resetButton, () => passwordFields(language))
    })
    app.post('/account/reset-password', { schema: { ...hidden, body: FormBody, response: html } }, async (request, reply) => {
      const language = pageLanguage(request)
      const text = TEXT[language]
      const { token, password = '', confirm = '' } = request.body
      // On a refusal the form comes back, so the person can try again with the same link.
      const again = (message: string) =>
        accountPage({
          language,
          title: text.resetTitle,
          message,
          error: true,
          form: { action: '/account/reset-password', button: text.resetButton, fields: [{ name: 'token', type: 'hidden', value: token }, ...passwordFields(language)] },
        })
      if (password !== confirm) return sendPage(reply, 400, again(text.mismatch))
      try {
        await app.accounts.resetPassword(token, password)
        return sendPage(reply, 200, accountPage({ language, title: text.resetTitle, message: text.reset }))
      } catch (error) {
        if (!(error instanceof HttpError) || error.statusCode >= 500) throw error
        return sendPage(reply, error.statusCode, again(error.message))
      }
    })

    app.get('/account/confirm-email', { schema: { ...hidden, querystring: Query, response: html } }, async (request, reply) => {
      const text = TEXT[pageLanguage(request)]
      return formPage(request, reply, text.changeTitle, '/account/confirm-email', text.changeButton, () => [])
    })
    app.post('/account/confirm-email', { schema: { ...hidden, body: FormBody, response: html } }, async (request, reply) => {
      const language = pageLanguage(request)
      return outcome(reply, language, TEXT[language].changeTitle, async () => {
        await app.accounts.confirmEmailChange(request.body.token)
        return TEXT[language].changed
      })
    })

    /** The signed-in session behind the cookie, if any (invitations are accepted by an account). */
    const signedIn = async (request: FastifyRequest) => {
      const id = request.cookies[SESSION_COOKIE]
      const session = id ? await app.accounts.findSession(id) : null
      return session ? { session, user: await app.accounts.get(session.userId) } : null
    }

    app.get('/account/invitation', { schema: { ...hidden, querystring: Query, response: html } }, async (request, reply) => {
      const language = pageLanguage(request)
      const text = TEXT[language]
      const who = await signedIn(request)
      if (!who) return sendPage(reply, 200, accountPage({ language, title: text.inviteTitle, message: text.signInFirst(''), error: true }))
      return formPage(request, reply, text.inviteTitle, '/account/invitation', text.inviteButton, () => [{ name: 'csrf', type: 'hidden', value: who.session.csrfToken }])
    })
    app.post('/account/invitation', { schema: { ...hidden, body: FormBody, response: html } }, async (request, reply) => {
      const language = pageLanguage(request)
      const text = TEXT[language]
      const who = await signedIn(request)
      if (!who) return sendPage(reply, 403, accountPage({ language, title: text.inviteTitle, message: text.signInFirst(''), error: true }))
      // The session cookie is sent by the browser on its own: the form must also carry the session's token, from our origin.
      if (request.headers.origin !== ownOrigin || request.body.csrf !== who.session.csrfToken) {
        return sendPage(reply, 403, accountPage({ language, title: text.inviteTitle, message: `requests that change something must come from ${ownOrigin}`, error: true }))
      }
      return outcome(reply, language, text.inviteTitle, async () => {
        const { siteId, role } = await app.sites.staff.accept(request.body.token, who.user)
        return text.invited((await app.sites.getById(siteId)).domain, role)
      })
    })
  }
}
