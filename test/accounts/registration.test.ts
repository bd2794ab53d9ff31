// Registration with acceptance of the current policy and terms, email verification and password
// reset through single-use, expiring tokens mailed through the real in-process SMTP server. Runs
// on PGlite and on the PostgreSQL server at DATABASE_URL. Refused input changes nothing.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  currentVersions,
  linkIn,
  login,
  mailCount,
  newPerson,
  nextMail,
  PASSWORD,
  register,
  registerAndReadMail,
  signIn,
  signUp,
  verify,
} from '../helpers/accounts.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { explainSkip, serverUrl } from '../helpers/postgres.ts'

explainSkip()

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

function registrationSuite(postgres: 'pglite' | 'server') {
  let t: TestApp

  beforeAll(async () => {
    t = await startTestApp({ postgres })
  })
  afterAll(() => t?.close())

  /** Everything registration, verification and reset write, to prove a refusal wrote nothing. */
  const snapshot = async () =>
    JSON.stringify([
      await t.app.postgres.query('SELECT id, first_name, last_name, email, login, password_hash, email_verified_at FROM users ORDER BY id'),
      await t.app.postgres.query('SELECT token_hash, used_at FROM account_tokens ORDER BY token_hash'),
      await t.app.postgres.query('SELECT user_id, kind, version FROM acceptances ORDER BY user_id, kind, version'),
      await t.app.postgres.query('SELECT id_hash FROM user_sessions ORDER BY id_hash'),
      mailCount(t),
    ])

  async function refused(send: () => Promise<{ statusCode: number; json(): any }>, status: number) {
    const before = await snapshot()
    const response = await send()
    expect(response.statusCode).toBe(status)
    const body = response.json()
    expect(body).toEqual({ error: expect.any(String), message: expect.any(String), ...(body.field ? { field: body.field } : {}) })
    expect(body.message.length).toBeGreaterThan(0)
    expect(await snapshot()).toBe(before)
    return body as { error: string; message: string; field?: string }
  }

  describe('registration', () => {
    it('creates an unverified customer, records the accepted versions and answers 201 without secrets', async () => {
      const person = newPerson({ firstName: '  Ada  ', lastName: 'King  Lovelace', email: 'Ada.Reg@Example.TEST', login: 'Ada_Reg' })
      const response = await register(t, { ...person })
      expect(response.statusCode).toBe(201)
      const user = response.json()
      expect(user).toEqual({
        id: expect.any(Number),
        firstName: 'Ada',
        lastName: 'King Lovelace',
        email: 'ada.reg@example.test',
        login: 'Ada_Reg',
        role: 'customer',
        language: 'en',
        emailVerified: false,
        createdAt: expect.any(String),
      })
      expect(response.body).not.toContain(PASSWORD)
      expect(response.body).not.toContain('argon2')

      const versions = await currentVersions(t)
      const acceptances = await t.app.postgres.query<{ kind: string; version: number }>('SELECT kind, version FROM acceptances WHERE user_id = $1 ORDER BY kind', [user.id])
      expect(acceptances).toEqual([
        { kind: 'privacy', version: versions.privacy },
        { kind: 'terms', version: versions.terms },
      ])
      const [row] = await t.app.postgres.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [user.id])
      expect(row!.password_hash).toMatch(/^\$argon2id\$/)
      expect(row!.password_hash).not.toContain(PASSWORD)
    })

    it('mails a confirmation link to PUBLIC_URL through SMTP, keeping only the hash of its token', async () => {
      const { person, user, token, mail } = await registerAndReadMail(t)
      expect(mail.to).toEqual([person.email])
      expect(mail.subject).toBe('Confirm your email address')
      expect(mail.headers.from).toContain(`no-reply@${new URL(t.config.publicUrl).hostname}`)
      const { url } = linkIn(mail)
      expect(`${url.origin}${url.pathname}`).toBe(`${t.config.publicUrl}/account/verify`)
      expect(mail.html).toContain(url.toString().replace(/&/g, '&#38;'))
      expect(mail.text).toContain(`Hello ${person.firstName},`)
      const tokens = await t.app.postgres.query<Record<string, unknown>>('SELECT * FROM account_tokens WHERE user_id = $1', [user.id])
      expect(tokens).toHaveLength(1)
      expect(tokens[0]).toMatchObject({ token_hash: sha256(token), purpose: 'verify_email', used_at: null })
      expect(JSON.stringify(tokens)).not.toContain(token)
    })

    it('writes in Russian to a person who chose Russian', async () => {
      const { mail, user } = await registerAndReadMail(t, { language: 'ru' })
      expect(user.language).toBe('ru')
      expect(mail.subject).toBe('Подтвердите адрес электронной почты')
      expect(mail.text).toContain('Здравствуйте')
    })

    it('refuses a taken email or login whatever its case: 409 naming the field', async () => {
      const first = newPerson()
      expect((await register(t, { ...first })).statusCode).toBe(201)
      const sameEmail = await refused(() => register(t, { ...newPerson(), email: first.email.toUpperCase() }), 409)
      expect(sameEmail).toMatchObject({ error: 'conflict', field: 'email' })
      const sameLogin = await refused(() => register(t, { ...newPerson(), login: first.login.toUpperCase() }), 409)
      expect(sameLogin).toMatchObject({ error: 'conflict', field: 'login' })
    })

    it('gives a contested address or login to one of two registrations sent at once', async () => {
      const first = newPerson()
      const answers = await Promise.all([register(t, { ...first }), register(t, { ...newPerson(), email: first.email }), register(t, { ...newPerson(), login: first.login })])
      const statuses = answers.map((answer) => answer.statusCode)
      expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(1)
      expect(statuses.filter((status) => status === 201 || status === 409)).toHaveLength(3)
      const holders = await t.app.postgres.query("SELECT 1 FROM users WHERE email = $1 OR lower(login) = lower($2)", [first.email, first.login])
      expect(holders.length).toBe(statuses.filter((status) => status === 201).length)
      for (const answer of answers.filter((response) => response.statusCode === 409)) expect(['email', 'login']).toContain(answer.json().field)
    })

    it.each([
      ['an empty first name', { firstName: '   ' }, 'firstName'],
      ['a control character in the last name', { lastName: 'Love\u0007lace' }, 'lastName'],
      ['a last name over 100 characters', { lastName: 'x'.repeat(101) }, 'lastName'],
      ['a malformed email', { email: 'ada-at-example.test' }, 'email'],
      ['an email without a domain dot', { email: 'ada@localhost' }, 'email'],
      ['a login too short', { login: 'ab' }, 'login'],
      ['a login with spaces', { login: 'ada lovelace' }, 'login'],
      ['a login with an at sign', { login: 'ada@home' }, 'login'],
      ['a password too short', { password: 'short' }, 'password'],
      ['a password that is the login', { login: 'ada_the_countess', password: 'ADA_THE_COUNTESS' }, 'password'],
      ['an empty password', { password: '' }, 'password'],
      ['a first name that is not a string', { firstName: 42 }, 'firstName'],
      ['an unknown field', { role: 'admin' }, 'role'],
      ['an unknown language', { language: 'de' }, 'language'],
    ])('refuses %s: 400 naming the field, nothing written, no mail', async (_what, change, field) => {
      const body = await refused(() => register(t, { ...newPerson(), ...change }), 400)
      expect(body).toMatchObject({ error: 'invalid_request', field })
    })

    it('refuses a missing field', async () => {
      const { login: _login, ...person } = newPerson()
      expect((await refused(() => register(t, person), 400)).field).toBe('login')
    })

    it('refuses a registration that does not accept the current versions', async () => {
      const current = await currentVersions(t)
      expect((await refused(() => register(t, { ...newPerson() }, { privacy: current.privacy + 1, terms: current.terms }), 400)).field).toBe('accept.privacy')
      expect((await refused(() => register(t, { ...newPerson() }, { privacy: current.privacy, terms: current.terms + 1 }), 400)).field).toBe('accept.terms')
      expect((await refused(() => register(t, { ...newPerson() }, { privacy: 0, terms: current.terms }), 400)).field).toBe('accept.privacy')
      expect((await refused(() => register(t, { ...newPerson() }, { privacy: current.privacy }), 400)).field).toBe('accept.terms')
      expect((await refused(() => register(t, { ...newPerson() }, { privacy: String(current.privacy), terms: current.terms }), 400)).field).toBe('accept.privacy')
      const { accept: _accept, ...body } = { ...newPerson(), accept: null }
      const missing = await refused(() => t.app.inject({ method: 'POST', url: '/api/accounts/register', payload: body }), 400)
      expect(missing.field).toBe('accept')
    })
  })

  describe('email verification', () => {
    it('confirms the address once', async () => {
      const { user, token } = await registerAndReadMail(t)
      const response = await verify(t, token)
      expect(response.statusCode).toBe(200)
      expect(response.json()).toMatchObject({ id: user.id, emailVerified: true })
      const again = await refused(() => verify(t, token), 400)
      expect(again).toMatchObject({ error: 'invalid_request', field: 'token' })
    })

    it('refuses an expired token', async () => {
      const { user, token } = await registerAndReadMail(t)
      await t.app.postgres.query("UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", [user.id])
      expect((await refused(() => verify(t, token), 400)).field).toBe('token')
      expect((await t.app.accounts.get(user.id)).emailVerified).toBe(false)
    })

    it('refuses an unknown token, and a token of another purpose', async () => {
      expect((await refused(() => verify(t, 'x'.repeat(43)), 400)).field).toBe('token')
      expect((await refused(() => verify(t, 'short'), 400)).field).toBe('token')
      const agent = await signUp(t)
      const since = mailCount(t)
      expect((await t.app.inject({ method: 'POST', url: '/api/accounts/password-reset', payload: { email: agent.person.email } })).statusCode).toBe(202)
      const resetToken = linkIn(await nextMail(t, (mail) => mail.to.includes(agent.person.email), since)).token
      expect((await refused(() => verify(t, resetToken), 400)).field).toBe('token')
    })

    it('mails a new link on request, to a signed-in person', async () => {
      const { person, token } = await registerAndReadMail(t)
      const agent = await signIn(t, person)
      expect(agent.user.emailVerified).toBe(false)
      const since = mailCount(t)
      const resend = await agent.request('POST', '/api/account/email/resend')
      expect(resend.statusCode).toBe(202)
      const second = linkIn(await nextMail(t, (mail) => mail.to.includes(person.email), since)).token
      expect(second).not.toBe(token)
      expect((await verify(t, second)).json().emailVerified).toBe(true)
      expect((await t.app.inject({ method: 'POST', url: '/api/account/email/resend' })).statusCode).toBe(401)
    })
  })

  describe('password reset', () => {
    const requestReset = (email: string) => t.app.inject({ method: 'POST', url: '/api/accounts/password-reset', payload: { email } })
    const confirm = (token: string, password: string) =>
      t.app.inject({ method: 'POST', url: '/api/accounts/password-reset/confirm', payload: { token, password } })

    it('answers the same whether or not the address has an account, and mails only an account', async () => {
      const agent = await signUp(t)
      const before = mailCount(t)
      const unknown = await requestReset('nobody@example.test')
      expect(mailCount(t)).toBe(before)
      const known = await requestReset(agent.person.email.toUpperCase())
      expect(unknown.statusCode).toBe(202)
      expect(known.statusCode).toBe(202)
      expect(unknown.body).toBe(known.body)
      const mail = await nextMail(t, (message) => message.to.includes(agent.person.email), before)
      expect(mail.subject).toBe('Reset your password')
      expect(`${linkIn(mail).url.origin}${linkIn(mail).url.pathname}`).toBe(`${t.config.publicUrl}/account/reset-password`)
    })

    it('sets a new password once, ends every session, and the old password stops working', async () => {
      const agent = await signUp(t)
      const since = mailCount(t)
      await requestReset(agent.person.email)
      const { token } = linkIn(await nextMail(t, (mail) => mail.to.includes(agent.person.email), since))

      // A weak password is refused and leaves the token usable.
      expect((await refused(() => confirm(token, 'short'), 400)).field).toBe('password')
      expect((await refused(() => confirm(token, agent.person.login), 400)).field).toBe('password')

      const fresh = 'a-brand-new-passphrase-42'
      expect((await confirm(token, fresh)).statusCode).toBe(204)
      expect((await agent.request('GET', '/api/account')).statusCode).toBe(401)
      expect((await login(t, agent.person.login, agent.person.password, '198.51.100.77')).statusCode).toBe(401)
      expect((await login(t, agent.person.email, fresh, '198.51.100.77')).statusCode).toBe(200)
      expect((await refused(() => confirm(token, 'another-new-passphrase-43'), 400)).field).toBe('token')
    })

    it('a link used twice at once sets one password', async () => {
      const agent = await signUp(t)
      const since = mailCount(t)
      await requestReset(agent.person.email)
      const { token } = linkIn(await nextMail(t, (mail) => mail.to.includes(agent.person.email), since))
      const answers = await Promise.all([confirm(token, 'first-new-passphrase-1'), confirm(token, 'second-new-passphrase-2')])
      expect(answers.map((answer) => answer.statusCode).sort()).toEqual([204, 400])
      const winner = answers[0]!.statusCode === 204 ? 'first-new-passphrase-1' : 'second-new-passphrase-2'
      expect((await login(t, agent.person.login, winner, '198.51.100.79')).statusCode).toBe(200)
    })

    it('refuses an expired link', async () => {
      const agent = await signUp(t)
      const since = mailCount(t)
      await requestReset(agent.person.email)
      const { token } = linkIn(await nextMail(t, (mail) => mail.to.includes(agent.person.email), since))
      await t.app.postgres.query("UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1", [sha256(token)])
      expect((await refused(() => confirm(token, 'a-brand-new-passphrase-42'), 400)).field).toBe('token')
      expect((await login(t, agent.person.login, agent.person.password, '198.51.100.78')).statusCode).toBe(200)
    })

    it('refuses a confirmation link used as a reset link', async () => {
      const { token } = await registerAndReadMail(t)
      expect((await refused(() => confirm(token, 'a-brand-new-passphrase-42'), 400)).field).toBe('token')
    })
  })
}

describe('on PGlite', () => registrationSuite('pglite'))
describe.skipIf(!serverUrl)('on the PostgreSQL server', () => registrationSuite('server'))
