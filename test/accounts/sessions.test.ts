// Signing in and out: sessions kept server-side by the hash of the cookie's id, the cookie's
// attributes, idle and absolute expiry, logout and logout everywhere, the failed-login throttle
// per account and per client address, and CSRF protection of every state-changing request made
// with the session cookie. Runs on PGlite and on the PostgreSQL server at DATABASE_URL.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FailureThrottle } from '../../server/accounts/throttle.ts'
import { agentFor, login, newPerson, originOf, SESSION_COOKIE, sessionCookieOf, signIn, signUp, type Agent } from '../helpers/accounts.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { explainSkip, serverUrl } from '../helpers/postgres.ts'

explainSkip()

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const DAY_MS = 86_400_000

describe('the failure throttle', () => {
  it('lets a key try again once its window has passed', () => {
    const throttle = new FailureThrottle({ failures: 2, windowMs: 60_000 })
    throttle.fail('a', 0)
    expect(throttle.retryAfter('a', 1_000)).toBe(0)
    throttle.fail('a', 1_000)
    expect(throttle.retryAfter('a', 1_000)).toBe(59)
    expect(throttle.retryAfter('b', 1_000)).toBe(0)
    expect(throttle.retryAfter('a', 60_000)).toBe(0)
    throttle.fail('a', 60_000)
    expect(throttle.retryAfter('a', 60_000)).toBe(0)
  })

  it('forgets the oldest key past its capacity', () => {
    const throttle = new FailureThrottle({ failures: 1, windowMs: 60_000 }, 2)
    for (const key of ['a', 'b', 'c']) throttle.fail(key, 0)
    expect([throttle.retryAfter('a', 1), throttle.retryAfter('b', 1), throttle.retryAfter('c', 1)]).toEqual([0, 60, 60])
  })
})

function sessionSuite(postgres: 'pglite' | 'server') {
  let t: TestApp
  let ipSerial = 0
  /** A client address of its own for each use, so the per-address limit of one test never touches another. */
  const freshIp = () => `203.0.113.${(ipSerial += 1)}`

  beforeAll(async () => {
    t = await startTestApp({ postgres })
  })
  afterAll(() => t?.close())

  const account = (agent: Agent) => agent.request('GET', '/api/account')
  const sessionRows = (userId: number) =>
    t.app.postgres.query<{ id_hash: string; device: string; created_at: Date; last_seen_at: Date; expires_at: Date }>(
      'SELECT id_hash, device, created_at, last_seen_at, expires_at FROM user_sessions WHERE user_id = $1 ORDER BY created_at',
      [userId],
    )

  describe('signing in', () => {
    it('accepts the login or the email address in any case, and opens a session', async () => {
      const agent = await signUp(t)
      for (const identifier of [agent.person.login.toUpperCase(), agent.person.email.toUpperCase(), ` ${agent.person.email} `]) {
        const response = await login(t, identifier, agent.person.password, freshIp())
        expect(response.statusCode, identifier).toBe(200)
        const body = response.json()
        expect(body).toEqual({ user: agent.user, csrfToken: expect.any(String), pendingAcceptance: [] })
        expect(body.csrfToken.length).toBeGreaterThanOrEqual(32)
        expect(body.csrfToken).not.toBe(agent.csrfToken)
      }
      expect(await sessionRows(agent.user.id)).toHaveLength(4)
    })

    it('sets an HttpOnly, SameSite=Lax cookie on path / without Secure over http, valid for 30 days', async () => {
      const agent = await signUp(t)
      const response = await login(t, agent.person.login, agent.person.password, freshIp())
      const header = response.headers['set-cookie']
      const line = (Array.isArray(header) ? header : [header]).find((value) => value?.startsWith(`${SESSION_COOKIE}=`))!
      const attributes = line.split(';').slice(1).map((part) => part.trim().toLowerCase())
      expect(attributes).toContain('httponly')
      expect(attributes).toContain('samesite=lax')
      expect(attributes).toContain('path=/')
      expect(attributes).toContain(`max-age=${30 * 86_400}`)
      expect(attributes.some((part) => part.startsWith('secure'))).toBe(false)
      expect(attributes.some((part) => part.startsWith('domain'))).toBe(false)
    })

    it('keeps only the hash of the session id, with the device named by browser and OS only', async () => {
      const agent = await signUp(t)
      const rows = await t.app.postgres.query<Record<string, unknown>>('SELECT * FROM user_sessions WHERE user_id = $1', [agent.user.id])
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({ id_hash: sha256(agent.cookie), device: 'Firefox on Linux' })
      expect(JSON.stringify(rows)).not.toContain(agent.cookie)
      expect(JSON.stringify(rows)).not.toContain('Gecko')
      const [session] = await sessionRows(agent.user.id)
      expect(session!.expires_at.getTime() - session!.created_at.getTime()).toBe(30 * DAY_MS)
    })

    it('answers a wrong password and an unknown account alike: 401, no cookie, no session', async () => {
      const agent = await signUp(t)
      const wrong = await login(t, agent.person.login, 'not-the-password-at-all', freshIp())
      const unknown = await login(t, 'nobody_here', 'not-the-password-at-all', freshIp())
      const unknownEmail = await login(t, 'nobody@example.test', agent.person.password, freshIp())
      for (const response of [wrong, unknown, unknownEmail]) {
        expect(response.statusCode).toBe(401)
        expect(response.json()).toEqual({ error: 'unauthorized', message: 'the email address, login or password is not right' })
        expect(sessionCookieOf(response)).toBeNull()
      }
      expect(await sessionRows(agent.user.id)).toHaveLength(1)
    })

    it('refuses a malformed sign-in with 400 naming the field', async () => {
      const empty = await t.app.inject({ method: 'POST', url: '/api/accounts/login', payload: { identifier: '', password: 'x' } })
      expect(empty.statusCode).toBe(400)
      expect(empty.json().field).toBe('identifier')
      const missing = await t.app.inject({ method: 'POST', url: '/api/accounts/login', payload: { identifier: 'someone' } })
      expect(missing.json()).toMatchObject({ error: 'invalid_request', field: 'password' })
    })

    it('refuses a missing, unknown or tampered cookie with 401', async () => {
      const agent = await signUp(t)
      expect((await account(agent)).statusCode).toBe(200)
      expect((await t.app.inject({ method: 'GET', url: '/api/account' })).statusCode).toBe(401)
      for (const cookie of ['', 'x', `${agent.cookie}x`, agent.cookie.slice(1), sha256(agent.cookie)]) {
        const response = await agentFor(t, cookie, agent.csrfToken, agent.user, agent.person).request('GET', '/api/account')
        expect(response.statusCode, cookie).toBe(401)
        expect(response.json().error).toBe('unauthorized')
      }
    })
  })

  describe('session expiry', () => {
    it('ends a session unused for more than 7 days', async () => {
      const agent = await signUp(t)
      await t.app.postgres.query("UPDATE user_sessions SET last_seen_at = now() - interval '7 days 1 minute' WHERE user_id = $1", [agent.user.id])
      expect((await account(agent)).statusCode).toBe(401)
    })

    it('keeps a session used within 7 days, and counts the idle time again from its use', async () => {
      const agent = await signUp(t)
      await t.app.postgres.query("UPDATE user_sessions SET last_seen_at = now() - interval '6 days 23 hours' WHERE user_id = $1", [agent.user.id])
      expect((await account(agent)).statusCode).toBe(200)
      const [session] = await sessionRows(agent.user.id)
      expect(Date.now() - session!.last_seen_at.getTime()).toBeLessThan(DAY_MS)
    })

    it('ends a session 30 days after sign-in however much it is used', async () => {
      const agent = await signUp(t)
      await t.app.postgres.query(
        "UPDATE user_sessions SET created_at = now() - interval '30 days', expires_at = now() - interval '1 second' WHERE user_id = $1",
        [agent.user.id],
      )
      expect((await account(agent)).statusCode).toBe(401)
      expect((await agent.request('GET', '/api/account/sessions')).statusCode).toBe(401)
    })
  })

  describe('signing out', () => {
    it('ends this session only, and clears the cookie', async () => {
      const agent = await signUp(t)
      const other = await signIn(t, agent.person)
      const response = await agent.request('POST', '/api/accounts/logout')
      expect(response.statusCode).toBe(204)
      const cleared = response.cookies.find((cookie) => cookie.name === SESSION_COOKIE)
      expect(cleared).toMatchObject({ value: '', path: '/', httpOnly: true, sameSite: 'Lax' })
      expect(cleared!.expires!.getTime()).toBeLessThanOrEqual(Date.now())
      expect((await account(agent)).statusCode).toBe(401)
      expect((await account(other)).statusCode).toBe(200)
      expect((await sessionRows(agent.user.id)).map((row) => row.id_hash)).toEqual([sha256(other.cookie)])
    })

    it('everywhere: ends every session of the account and says how many', async () => {
      const agent = await signUp(t)
      const second = await signIn(t, agent.person)
      const third = await signIn(t, agent.person, agent.person.email)
      const bystander = await signUp(t)
      const response = await second.request('POST', '/api/accounts/logout-everywhere')
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ ended: 3 })
      for (const session of [agent, second, third]) expect((await account(session)).statusCode).toBe(401)
      expect(await sessionRows(agent.user.id)).toEqual([])
      expect((await account(bystander)).statusCode).toBe(200)
    })

    it('lists my sessions, marking the current one, without ids or CSRF tokens', async () => {
      const agent = await signUp(t)
      const other = await signIn(t, agent.person)
      const response = await other.request('GET', '/api/account/sessions')
      expect(response.statusCode).toBe(200)
      const { sessions } = response.json()
      expect(sessions).toHaveLength(2)
      expect(sessions.filter((session: { current: boolean }) => session.current)).toHaveLength(1)
      for (const session of sessions) {
        expect(Object.keys(session).sort()).toEqual(['createdAt', 'current', 'device', 'expiresAt', 'lastSeenAt'])
        expect(session.device).toBe('Firefox on Linux')
      }
      for (const secret of [agent.cookie, other.cookie, agent.csrfToken, other.csrfToken, sha256(agent.cookie)]) expect(response.body).not.toContain(secret)
    })
  })

  describe('the failed sign-in throttle', () => {
    const tooMany = (response: { statusCode: number; headers: Record<string, unknown>; json(): any }) => {
      expect(response.statusCode).toBe(429)
      expect(response.json()).toEqual({ error: 'rate_limited', message: expect.stringMatching(/^too many failed sign-ins; try again in \d+ s$/) })
      const wait = Number(response.headers['retry-after'])
      expect(wait).toBeGreaterThan(0)
      expect(wait).toBeLessThanOrEqual(15 * 60)
    }

    it('stops an account after 5 failures in 15 minutes, even with the right password and from other addresses', async () => {
      const agent = await signUp(t)
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect((await login(t, agent.person.login, `wrong-password-${attempt}`, freshIp())).statusCode).toBe(401)
      }
      tooMany(await login(t, agent.person.login, agent.person.password, freshIp()))
      tooMany(await login(t, agent.person.login.toUpperCase(), agent.person.password, freshIp()))
      // Sessions opened before go on; other accounts sign in.
      expect((await account(agent)).statusCode).toBe(200)
      const other = await signUp(t)
      expect((await login(t, other.person.login, other.person.password, freshIp())).statusCode).toBe(200)
    })

    it('counts an account once whether it is named by its email address or its login', async () => {
      const agent = await signUp(t)
      for (let attempt = 0; attempt < 3; attempt += 1) expect((await login(t, agent.person.login, 'wrong-password', freshIp())).statusCode).toBe(401)
      for (let attempt = 0; attempt < 2; attempt += 1) expect((await login(t, agent.person.email, 'wrong-password', freshIp())).statusCode).toBe(401)
      tooMany(await login(t, agent.person.email, agent.person.password, freshIp()))
      tooMany(await login(t, agent.person.login, agent.person.password, freshIp()))
    })

    it('answers alike for an account that does not exist', async () => {
      const agent = await signUp(t)
      const missing = newPerson()
      const answers: Array<{ statusCode: number; body: string }> = []
      for (const identifier of [agent.person.email, missing.email]) {
        for (let attempt = 0; attempt < 5; attempt += 1) answers.push(await login(t, identifier, 'wrong-password', freshIp()))
        const blocked = await login(t, identifier, 'wrong-password', freshIp())
        tooMany(blocked)
        answers.push(blocked)
      }
      const shape = (answer: { statusCode: number; body: string }) => `${answer.statusCode} ${answer.body.replace(/\d+ s/, 'N s')}`
      expect(answers.slice(0, 6).map(shape)).toEqual(answers.slice(6).map(shape))
    })

    it('a successful sign-in before the limit starts the count again', async () => {
      const agent = await signUp(t)
      for (let round = 0; round < 2; round += 1) {
        for (let attempt = 0; attempt < 4; attempt += 1) expect((await login(t, agent.person.login, 'wrong-password', freshIp())).statusCode).toBe(401)
        expect((await login(t, agent.person.login, agent.person.password, freshIp())).statusCode).toBe(200)
      }
    })

    it('stops an address after 20 failures in 15 minutes, whichever accounts it tried; other addresses go on', async () => {
      const agent = await signUp(t)
      const address = freshIp()
      for (let attempt = 0; attempt < 20; attempt += 1) {
        expect((await login(t, `someone_${attempt}`, 'wrong-password', address)).statusCode).toBe(401)
      }
      tooMany(await login(t, agent.person.login, agent.person.password, address))
      // The client address comes from X-Forwarded-For (TRUST_PROXY=true): another address is not held back.
      expect((await login(t, agent.person.login, agent.person.password, freshIp())).statusCode).toBe(200)
    })
  })

  describe('CSRF protection', () => {
    const changeName = (agent: Agent, headers: Record<string, string>, firstName = 'Changed') =>
      t.app.inject({
        method: 'PATCH',
        url: '/api/account',
        headers: { cookie: `${SESSION_COOKIE}=${agent.cookie}`, ...headers },
        payload: { firstName },
      })
    const firstNameOf = async (agent: Agent) => (await t.app.accounts.get(agent.user.id)).firstName

    it('refuses a state-changing request without the right token or from a foreign origin: 403 csrf, nothing changed', async () => {
      const agent = await signUp(t)
      const other = await signIn(t, agent.person)
      const origin = originOf(t)
      const cases: Array<[string, Record<string, string>]> = [
        ['no token', { origin }],
        ['an empty token', { origin, 'x-csrf-token': '' }],
        // The last character changed to another one (appending a fixed "A" left the token as it was when it ended in A).
        ['a wrong token', { origin, 'x-csrf-token': `${agent.csrfToken.slice(0, -1)}${agent.csrfToken.endsWith('A') ? 'B' : 'A'}` }],
        ["another session's token", { origin, 'x-csrf-token': other.csrfToken }],
        ['a foreign Origin', { origin: 'https://evil.example', 'x-csrf-token': agent.csrfToken }],
        ['Origin null', { origin: 'null', 'x-csrf-token': agent.csrfToken }],
        ['our host on another port', { origin: 'http://localhost:1', 'x-csrf-token': agent.csrfToken }],
        ['neither Origin nor Referer', { 'x-csrf-token': agent.csrfToken }],
        ['a foreign Referer', { referer: 'https://evil.example/page', 'x-csrf-token': agent.csrfToken }],
        ['a malformed Referer', { referer: 'not a url', 'x-csrf-token': agent.csrfToken }],
      ]
      for (const [what, headers] of cases) {
        const response = await changeName(agent, headers)
        expect(response.statusCode, what).toBe(403)
        expect(response.json(), what).toEqual({ error: 'csrf', message: expect.any(String) })
      }
      expect(await firstNameOf(agent)).toBe(agent.person.firstName)
    })

    it('lets the same request through with the token and our Origin, or our Referer', async () => {
      const agent = await signUp(t)
      expect((await changeName(agent, { origin: originOf(t), 'x-csrf-token': agent.csrfToken }, 'Augusta')).statusCode).toBe(200)
      expect(await firstNameOf(agent)).toBe('Augusta')
      const referer = { referer: `${t.config.publicUrl}/account/settings`, 'x-csrf-token': agent.csrfToken }
      expect((await changeName(agent, referer, 'Ada')).statusCode).toBe(200)
      expect(await firstNameOf(agent)).toBe('Ada')
    })

    it('guards logout, logout everywhere, acceptance, key creation and deletion of the account too', async () => {
      const agent = await signUp(t)
      const bare = { cookie: `${SESSION_COOKIE}=${agent.cookie}`, origin: originOf(t) }
      const requests = [
        { method: 'POST', url: '/api/accounts/logout' },
        { method: 'POST', url: '/api/accounts/logout-everywhere' },
        { method: 'POST', url: '/api/account/accept', payload: { privacy: 1 } },
        { method: 'POST', url: '/api/keys', payload: { name: 'mine' } },
        { method: 'DELETE', url: '/api/account', payload: { password: agent.person.password, confirm: 'DELETE' } },
        { method: 'POST', url: '/api/sites', payload: { domain: 'csrf.test' } },
      ] as const
      for (const request of requests) {
        const response = await t.app.inject({ ...request, headers: bare } as never)
        expect((response as { statusCode: number }).statusCode, request.url).toBe(403)
      }
      expect((await account(agent)).statusCode).toBe(200)
      expect((await agent.request('GET', '/api/keys')).json().keys).toEqual([])
    })

    it('lets reading requests through without a token or an Origin', async () => {
      const agent = await signUp(t)
      for (const url of ['/api/account', '/api/account/sessions', '/api/account/export', '/api/keys', '/api/sites']) {
        const response = await t.app.inject({ method: 'GET', url, headers: { cookie: `${SESSION_COOKIE}=${agent.cookie}` } })
        expect(response.statusCode, url).toBe(200)
      }
    })
  })
}

describe('on PGlite', () => sessionSuite('pglite'))
describe.skipIf(!serverUrl)('on the PostgreSQL server', () => sessionSuite('server'))
