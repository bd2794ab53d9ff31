// Passwords, session ids and mailed tokens never appear in a response or in the log, whatever the
// request (accepted, refused, malformed, throttled), with the log at debug level. The app runs as
// behind a TLS-terminating proxy (PUBLIC_URL is https), so the session cookie is Secure and only
// pages of the https origin may change anything.
import { Writable } from 'node:stream'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createAdmin,
  linkIn,
  login,
  mailCount,
  newPerson,
  nextMail,
  register,
  SESSION_COOKIE,
  signIn,
  signUp,
  type Agent,
} from '../helpers/accounts.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

const PUBLIC_URL = 'https://analytics.example.test'

let t: TestApp
let log = ''
/** Every response body and header the test saw. */
const seen: string[] = []

beforeAll(async () => {
  t = await startTestApp({
    env: { LOG_LEVEL: 'debug', PUBLIC_URL },
    logStream: new Writable({
      write(chunk, _encoding, done) {
        log += chunk
        done()
      },
    }),
  })
  // Record every answer the app gives, through whichever helper asked.
  const inject = t.app.inject.bind(t.app) as (options: InjectOptions) => Promise<LightMyRequestResponse>
  const recording = async (options: InjectOptions) => {
    const response = await inject(options)
    seen.push(`${JSON.stringify(response.headers)}\n${response.body}`)
    return response
  }
  ;(t.app as unknown as { inject: typeof recording }).inject = recording
})
afterAll(() => t?.close())

describe('behind https', () => {
  it('marks the session cookie Secure', async () => {
    const agent = await signUp(t)
    const response = await login(t, agent.person.login, agent.person.password)
    const cookie = response.cookies.find((entry) => entry.name === SESSION_COOKIE)
    expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax', path: '/' })
    const cleared = (await agent.request('POST', '/api/accounts/logout')).cookies.find((entry) => entry.name === SESSION_COOKIE)
    expect(cleared).toMatchObject({ value: '', secure: true })
  })

  it('mails links to the https address', async () => {
    const since = mailCount(t)
    const person = newPerson()
    await register(t, { ...person })
    const { url } = linkIn(await nextMail(t, (mail) => mail.to.includes(person.email), since))
    expect(url.origin).toBe(PUBLIC_URL)
  })

  it('takes changes only from the https origin', async () => {
    const agent = await signUp(t)
    const from = (origin: string) => agent.request('PATCH', '/api/account', { firstName: 'Changed' }, { origin })
    for (const origin of ['http://analytics.example.test', 'https://analytics.example.test:8443', 'https://evil.example']) {
      expect((await from(origin)).json(), origin).toMatchObject({ error: 'csrf' })
    }
    expect((await from(PUBLIC_URL)).statusCode).toBe(200)
  })
})

describe('secrets', () => {
  const passwords: string[] = []
  const secret = (label: string) => {
    const value = `${label}-Pw-${Math.random().toString(36).slice(2)}-9`
    passwords.push(value)
    return value
  }
  /** Session ids and CSRF tokens (the token is in its own session's answers only), and mailed tokens. */
  const sessionIds: string[] = []
  const mailedTokens: string[] = []
  const remember = (agent: Agent) => {
    sessionIds.push(agent.cookie, agent.csrfToken)
    return agent
  }

  it('goes through every path that takes a password', async () => {
    // Registration: accepted, refused for the password itself, refused for another field.
    const person = newPerson({ password: secret('register') })
    const since = mailCount(t)
    expect((await register(t, { ...person })).statusCode).toBe(201)
    const verification = linkIn(await nextMail(t, (mail) => mail.to.includes(person.email), since)).token
    mailedTokens.push(verification)
    expect((await register(t, { ...newPerson({ password: secret('too-short').slice(0, 9) }) })).statusCode).toBe(400)
    const sameAsLogin = secret('login')
    expect((await register(t, { ...newPerson({ login: sameAsLogin.slice(0, 32), password: sameAsLogin.slice(0, 32).toUpperCase() }) })).statusCode).toBe(400)
    expect((await register(t, { ...newPerson({ email: 'broken', password: secret('bad-email') }) })).statusCode).toBe(400)
    expect((await register(t, { ...newPerson({ email: person.email, password: secret('duplicate') }) })).statusCode).toBe(409)
    expect((await register(t, { ...newPerson({ password: secret('unknown-field') }), extra: 1 })).statusCode).toBe(400)
    expect((await t.app.inject({ method: 'POST', url: '/api/accounts/verify-email', payload: { token: verification } })).statusCode).toBe(200)

    // Sign-in: right, wrong, unknown account, throttled, malformed JSON.
    const agent = remember(await signIn(t, person))
    expect((await login(t, person.login, secret('wrong'))).statusCode).toBe(401)
    expect((await login(t, 'nobody@example.test', secret('nobody'))).statusCode).toBe(401)
    // (Another account: a throttled one stays so for 15 minutes, a new password or not.)
    const throttled = await signUp(t, { password: secret('throttled-account') })
    remember(throttled)
    for (let attempt = 0; attempt < 5; attempt += 1) await login(t, throttled.person.email, secret(`throttle${attempt}`), `192.0.2.${attempt + 1}`)
    expect((await login(t, throttled.person.email, throttled.person.password, '192.0.2.99')).statusCode).toBe(429)
    const malformed = secret('malformed')
    const broken = await t.app.inject({
      method: 'POST',
      url: '/api/accounts/login',
      headers: { 'content-type': 'application/json' },
      payload: `{"identifier":"${person.login}","password":${malformed}}`,
    })
    expect(broken.statusCode).toBe(400)
    expect(broken.json()).toMatchObject({ error: 'invalid_request' })

    // Password reset: refused, then accepted; the reset token is mailed only.
    const resetSince = mailCount(t)
    await t.app.inject({ method: 'POST', url: '/api/accounts/password-reset', payload: { email: person.email } })
    const reset = linkIn(await nextMail(t, (mail) => mail.to.includes(person.email), resetSince)).token
    mailedTokens.push(reset)
    const confirm = (password: string) => t.app.inject({ method: 'POST', url: '/api/accounts/password-reset/confirm', payload: { token: reset, password } })
    expect((await confirm(secret('weak').slice(0, 8))).statusCode).toBe(400)
    const fresh = secret('fresh')
    expect((await confirm(fresh)).statusCode).toBe(204)
    person.password = fresh
    expect((await agent.request('GET', '/api/account')).statusCode).toBe(401)

    // The operator makes an administrator; the administrator makes an account.
    const adminPassword = secret('admin')
    const admin = remember(await createAdmin(t, { password: adminPassword }))
    const made = await admin.request('POST', '/api/admin/users', { ...newPerson({ password: secret('made') }), role: 'customer' })
    expect(made.statusCode).toBe(201)
    const operatorMade = await t.app.inject({
      method: 'POST',
      url: '/api/admin/users',
      headers: { authorization: `Bearer ${t.operatorToken}` },
      payload: { ...newPerson({ password: secret('operator-made') }), role: 'admin' },
    })
    expect(operatorMade.statusCode).toBe(201)
    expect((await admin.request('GET', '/api/admin/users')).statusCode).toBe(200)

    // Deleting the account: wrong password, then right.
    const deleting = remember(await signIn(t, person))
    expect((await deleting.request('DELETE', '/api/account', { password: secret('not-mine'), confirm: 'DELETE' })).statusCode).toBe(400)
    expect((await deleting.request('DELETE', '/api/account', { password: fresh, confirm: 'DELETE' })).statusCode).toBe(200)
    expect(passwords.length).toBeGreaterThan(15)
  })

  it('never puts a password, its hash or a mailed token in a response', () => {
    const answers = seen.join('\n')
    expect(answers.length).toBeGreaterThan(0)
    for (const password of passwords) expect(answers).not.toContain(password)
    for (const token of mailedTokens) expect(answers).not.toContain(token)
    expect(answers).not.toContain('argon2')
    expect(answers).not.toContain('password_hash')
    expect(answers).not.toContain('passwordHash')
  })

  it('never logs a password, its hash, a session id, a CSRF token or a mailed token', () => {
    expect(log).toContain('"level":20') // debug lines were written
    expect(log).toContain('/api/accounts/login')
    for (const password of passwords) expect(log).not.toContain(password)
    for (const id of sessionIds) expect(log).not.toContain(id)
    for (const token of mailedTokens) expect(log).not.toContain(token)
    expect(log).not.toContain('argon2')
    expect(log).not.toContain('x-csrf-token')
    expect(log).not.toContain(SESSION_COOKIE)
  })

  it('logs the erasure once, by account number and contexts, with no personal data', async () => {
    const lines = log
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'account erased')
    expect(lines).toHaveLength(1)
    const [line] = lines
    expect(line).toMatchObject({ level: 30, userId: expect.any(Number), contexts: ['account', 'sites'] })
    const [erasure] = await t.app.postgres.query<{ user_id: number }>('SELECT user_id FROM erasures')
    expect(line!.userId).toBe(erasure!.user_id)
    expect(JSON.stringify(line)).not.toMatch(/@example\.test|ada_|Lovelace/)
  })
})
