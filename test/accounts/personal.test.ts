// The personal account: profile changes (a new email address takes effect once confirmed from the
// link mailed to it), download of one's data, deletion of the account through the personal-data
// registry, and acceptance of a newly published policy version. Runs on PGlite and on the
// PostgreSQL server at DATABASE_URL. Refused input changes nothing.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  acceptCurrent,
  currentVersions,
  linkIn,
  login,
  mailCount,
  newPerson,
  nextMail,
  PASSWORD,
  register,
  SESSION_COOKIE,
  signIn,
  signUp,
  type Agent,
} from '../helpers/accounts.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { explainSkip, serverUrl } from '../helpers/postgres.ts'

explainSkip()

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const QUERY = { metrics: ['visitors'], date_range: '7d' }

function personalSuite(postgres: 'pglite' | 'server') {
  let t: TestApp

  beforeAll(async () => {
    t = await startTestApp({ postgres })
  })
  afterAll(() => t?.close())

  /** Every row about people, to prove a refusal wrote nothing. */
  const snapshot = async () =>
    JSON.stringify([
      await t.app.postgres.query('SELECT id, first_name, last_name, email, login, language, password_hash, email_verified_at FROM users ORDER BY id'),
      await t.app.postgres.query('SELECT token_hash, used_at FROM account_tokens ORDER BY token_hash'),
      await t.app.postgres.query('SELECT user_id, kind, version FROM acceptances ORDER BY user_id, kind, version'),
      await t.app.postgres.query('SELECT id_hash FROM user_sessions ORDER BY id_hash'),
      await t.app.postgres.query('SELECT site_id, user_id, role FROM site_members ORDER BY site_id, user_id'),
      await t.app.postgres.query('SELECT id, user_id, revoked_at FROM api_keys ORDER BY id'),
      await t.app.postgres.query('SELECT * FROM erasures ORDER BY id'),
      mailCount(t),
    ])

  async function refused(send: () => Promise<{ statusCode: number; json(): any }>, status: number) {
    const before = await snapshot()
    const response = await send()
    expect(response.statusCode).toBe(status)
    const body = response.json()
    expect(typeof body.error).toBe('string')
    expect(typeof body.message).toBe('string')
    expect(await snapshot()).toBe(before)
    return body as { error: string; message: string; field?: string }
  }

  const patch = (agent: Agent, changes: unknown) => agent.request('PATCH', '/api/account', changes)
  const confirmEmail = (token: string) => t.app.inject({ method: 'POST', url: '/api/account/email/confirm', payload: { token } })

  describe('the profile', () => {
    it('reads my account with my CSRF token and nothing to accept', async () => {
      const agent = await signUp(t)
      const response = await agent.request('GET', '/api/account')
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ user: { ...agent.user, emailVerified: true }, csrfToken: agent.csrfToken, pendingAcceptance: [] })
    })

    it('changes names, login and language', async () => {
      const agent = await signUp(t)
      const response = await patch(agent, { firstName: ' Augusta ', lastName: 'Byron', login: 'Augusta_Ada_X', language: 'ru' })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({
        user: { ...agent.user, emailVerified: true, firstName: 'Augusta', lastName: 'Byron', login: 'Augusta_Ada_X', language: 'ru' },
        emailPending: null,
      })
      expect((await login(t, 'augusta_ada_x', agent.person.password)).statusCode).toBe(200)
    })

    it('refuses bad changes with 400 naming the field, and changes nothing', async () => {
      const agent = await signUp(t)
      expect((await refused(() => patch(agent, { login: 'a b' }), 400)).field).toBe('login')
      expect((await refused(() => patch(agent, { firstName: '' }), 400)).field).toBe('firstName')
      expect((await refused(() => patch(agent, { firstName: 'Fine', email: 'not-an-address' }), 400)).field).toBe('email')
      expect((await refused(() => patch(agent, { language: 'fr' }), 400)).field).toBe('language')
      expect((await refused(() => patch(agent, {}), 400)).error).toBe('invalid_request')
      // Nothing else is the person's to change here.
      for (const field of ['role', 'emailVerified', 'id', 'password', 'passwordHash']) {
        const body = await refused(() => patch(agent, { [field]: field === 'role' ? 'admin' : true }), 400)
        expect(body.field).toBe(field)
      }
      expect((await t.app.accounts.get(agent.user.id)).role).toBe('customer')
    })

    it('refuses a login or an email address someone else has, whatever its case: 409, nothing changed', async () => {
      const agent = await signUp(t)
      const other = await signUp(t)
      expect((await refused(() => patch(agent, { login: other.person.login.toUpperCase() }), 409)).field).toBe('login')
      expect((await refused(() => patch(agent, { email: other.person.email.toUpperCase() }), 409)).field).toBe('email')
      // Together with another change, which must not happen either.
      expect((await refused(() => patch(agent, { firstName: 'Changed', email: other.person.email }), 409)).field).toBe('email')
      expect((await refused(() => patch(agent, { lastName: 'Changed', login: other.person.login }), 409)).field).toBe('login')
    })

    it('refuses profile changes without a session', async () => {
      const response = await t.app.inject({ method: 'PATCH', url: '/api/account', payload: { firstName: 'X' } })
      expect(response.statusCode).toBe(401)
    })
  })

  describe('changing the email address', () => {
    it('takes effect only once confirmed from the link mailed to the new address, and ends the sessions', async () => {
      const agent = await signUp(t)
      const other = await signIn(t, agent.person)
      const newEmail = newPerson().email
      const since = mailCount(t)
      const response = await patch(agent, { email: newEmail.toUpperCase() })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ user: { ...agent.user, emailVerified: true }, emailPending: newEmail })

      const mail = await nextMail(t, (message) => message.to.includes(newEmail), since)
      expect(mail.subject).toBe('Confirm your new email address')
      const { url, token } = linkIn(mail)
      expect(`${url.origin}${url.pathname}`).toBe(`${t.config.publicUrl}/account/confirm-email`)
      expect(t.app.mailCapture!.messages.slice(since).filter((message) => message.to.includes(agent.person.email))).toEqual([])
      const [stored] = await t.app.postgres.query<{ token_hash: string; email: string }>(
        "SELECT token_hash, email FROM account_tokens WHERE user_id = $1 AND purpose = 'change_email'",
        [agent.user.id],
      )
      expect(stored).toEqual({ token_hash: sha256(token), email: newEmail })

      // Until confirmed, the old address is the account's.
      expect((await t.app.accounts.get(agent.user.id)).email).toBe(agent.person.email)
      expect((await login(t, newEmail, agent.person.password)).statusCode).toBe(401)

      const confirmed = await confirmEmail(token)
      expect(confirmed.statusCode).toBe(200)
      expect(confirmed.json()).toMatchObject({ id: agent.user.id, email: newEmail, emailVerified: true })
      for (const session of [agent, other]) expect((await session.request('GET', '/api/account')).statusCode).toBe(401)
      expect((await login(t, agent.person.email, agent.person.password, '198.51.100.201')).statusCode).toBe(401)
      expect((await login(t, newEmail, agent.person.password)).statusCode).toBe(200)
      expect((await refused(() => confirmEmail(token), 400)).field).toBe('token')
    })

    it('is nothing to confirm when the address only changes case', async () => {
      const agent = await signUp(t)
      const since = mailCount(t)
      const response = await patch(agent, { email: agent.person.email.toUpperCase() })
      expect(response.json()).toMatchObject({ emailPending: null, user: { email: agent.person.email } })
      expect(mailCount(t)).toBe(since)
    })

    it('refuses the confirmation when someone took the address meanwhile: 409, nothing changed', async () => {
      const agent = await signUp(t)
      const wanted = newPerson().email
      const since = mailCount(t)
      await patch(agent, { email: wanted })
      const { token } = linkIn(await nextMail(t, (message) => message.to.includes(wanted), since))
      expect((await register(t, { ...newPerson(), email: wanted })).statusCode).toBe(201)
      const body = await refused(() => confirmEmail(token), 409)
      expect(body).toMatchObject({ error: 'conflict', field: 'email' })
      expect((await agent.request('GET', '/api/account')).statusCode).toBe(200)
    })

    it('refuses an expired or unknown link', async () => {
      const agent = await signUp(t)
      const wanted = newPerson().email
      const since = mailCount(t)
      await patch(agent, { email: wanted })
      const { token } = linkIn(await nextMail(t, (message) => message.to.includes(wanted), since))
      await t.app.postgres.query("UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1", [sha256(token)])
      expect((await refused(() => confirmEmail(token), 400)).field).toBe('token')
      expect((await refused(() => confirmEmail('y'.repeat(43)), 400)).field).toBe('token')
      expect((await t.app.accounts.get(agent.user.id)).email).toBe(agent.person.email)
    })
  })

  /** A person who manages one site, views another, holds two keys and two sessions. */
  async function staffPerson() {
    const agent = await signUp(t)
    const tag = agent.user.id
    const managed = await t.app.sites.add({ domain: `managed-${tag}.test` }, agent.user.id)
    const viewed = await t.app.sites.add({ domain: `viewed-${tag}.test` })
    await t.app.sites.staff.add(viewed.id, agent.user.id, 'viewer')
    const allKey = await agent.request('POST', '/api/keys', { name: 'all my sites' })
    const oneKey = await agent.request('POST', '/api/keys', { name: 'just one', site: viewed.domain })
    expect([allKey.statusCode, oneKey.statusCode]).toEqual([201, 201])
    const second = await signIn(t, agent.person)
    return { agent, second, managed, viewed, keys: [allKey.json().key as string, oneKey.json().key as string] }
  }

  describe('downloading my data', () => {
    it('is one JSON document with my profile, acceptances, sessions, staff memberships and keys, and no secrets', async () => {
      const { agent, second, managed, viewed, keys } = await staffPerson()
      const bystander = await staffPerson()
      const response = await agent.request('GET', '/api/account/export')
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      expect(response.headers['content-disposition']).toBe('attachment; filename="candor-my-data.json"')
      const data = response.json()
      const versions = await currentVersions(t)
      expect(Object.keys(data).sort()).toEqual(['account', 'exportedAt', 'sites'])
      expect(new Date(data.exportedAt).toISOString()).toBe(data.exportedAt)
      expect(data.account.profile).toEqual({ ...agent.user, emailVerified: true })
      expect(data.account.acceptances).toEqual([
        { kind: 'privacy', version: versions.privacy, acceptedAt: expect.any(String) },
        { kind: 'terms', version: versions.terms, acceptedAt: expect.any(String) },
      ])
      expect(data.account.sessions).toHaveLength(2)
      for (const session of data.account.sessions) {
        expect(session).toEqual({ device: 'Firefox on Linux', createdAt: expect.any(String), lastSeenAt: expect.any(String), expiresAt: expect.any(String) })
      }
      expect(data.sites.staffOf).toEqual(
        expect.arrayContaining([
          { site: managed.domain, role: 'manager' },
          { site: viewed.domain, role: 'viewer' },
        ]),
      )
      expect(data.sites.staffOf).toHaveLength(2)
      expect(data.sites.statsApiKeys).toEqual([
        expect.objectContaining({ name: 'all my sites', prefix: keys[0]!.slice(0, 10), siteId: null }),
        expect.objectContaining({ name: 'just one', prefix: keys[1]!.slice(0, 10), siteId: viewed.id }),
      ])
      const secrets = [PASSWORD, 'argon2', agent.cookie, second.cookie, sha256(agent.cookie), agent.csrfToken, second.csrfToken, ...keys, ...keys.map(sha256)]
      for (const secret of secrets) expect(response.body).not.toContain(secret)
      for (const foreign of [bystander.agent.person.email, bystander.managed.domain, bystander.keys[0]!.slice(0, 10)]) {
        expect(response.body).not.toContain(foreign)
      }
    })

    it('needs a session', async () => {
      expect((await t.app.inject({ method: 'GET', url: '/api/account/export' })).statusCode).toBe(401)
    })
  })

  describe('deleting my account', () => {
    const remove = (agent: Agent, body: unknown) => agent.request('DELETE', '/api/account', body)

    it('needs my password and the word DELETE; anything else changes nothing', async () => {
      const { agent } = await staffPerson()
      expect((await refused(() => remove(agent, { password: 'not-my-password', confirm: 'DELETE' }), 400)).field).toBe('password')
      expect((await refused(() => remove(agent, { password: agent.person.password, confirm: 'delete' }), 400)).field).toBe('confirm')
      expect((await refused(() => remove(agent, { password: agent.person.password }), 400)).field).toBe('confirm')
      expect((await refused(() => remove(agent, { confirm: 'DELETE' }), 400)).field).toBe('password')
      expect((await refused(() => t.app.inject({ method: 'DELETE', url: '/api/account', payload: { password: agent.person.password, confirm: 'DELETE' } }), 401)).error).toBe('unauthorized')
    })

    it('erases the account in every context, logs the erasure without personal data, and the cookie and keys stop working', async () => {
      const { agent, second, managed, viewed, keys } = await staffPerson()
      const colleague = await signUp(t)
      await t.app.sites.staff.add(managed.id, colleague.user.id, 'manager')
      // An invitation the person sent, and one sent to their address.
      await t.app.sites.staff.invite(managed, 'invitee@example.test', 'viewer', agent.user.id, 'en')
      await t.app.sites.staff.invite(viewed, agent.person.email, 'manager', null, 'en')
      // Both keys were in use before.
      expect((await t.query(keys[0]!, { site_id: managed.domain, ...QUERY })).statusCode).toBe(200)
      expect((await t.query(keys[1]!, { site_id: viewed.domain, ...QUERY })).statusCode).toBe(200)

      const response = await remove(agent, { password: agent.person.password, confirm: 'DELETE' })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ erased: ['account', 'sites'] })
      const cleared = response.cookies.find((cookie) => cookie.name === SESSION_COOKIE)
      expect(cleared?.value).toBe('')

      const id = agent.user.id
      const left = async (sql: string, params: unknown[] = [id]) => (await t.app.postgres.query(sql, params)).length
      expect(await left('SELECT 1 FROM users WHERE id = $1')).toBe(0)
      expect(await left('SELECT 1 FROM user_sessions WHERE user_id = $1')).toBe(0)
      expect(await left('SELECT 1 FROM account_tokens WHERE user_id = $1')).toBe(0)
      expect(await left('SELECT 1 FROM acceptances WHERE user_id = $1')).toBe(0)
      expect(await left('SELECT 1 FROM site_members WHERE user_id = $1')).toBe(0)
      expect(await left('SELECT 1 FROM api_keys WHERE user_id = $1')).toBe(0)
      expect(await left('SELECT 1 FROM site_invitations WHERE email = $1', [agent.person.email])).toBe(0)
      expect(await left('SELECT 1 FROM site_invitations WHERE invited_by = $1')).toBe(0)
      expect(await left("SELECT 1 FROM site_invitations WHERE email = 'invitee@example.test'", [])).toBe(1)

      const erasures = await t.app.postgres.query<Record<string, unknown>>('SELECT * FROM erasures WHERE user_id = $1', [id])
      expect(erasures).toEqual([{ id: expect.any(Number), user_id: id, contexts: ['account', 'sites'], erased_at: expect.any(Date) }])
      // Nothing about the person is left in Postgres.
      const everything = JSON.stringify(
        await Promise.all(
          ['users', 'user_sessions', 'account_tokens', 'acceptances', 'site_members', 'site_invitations', 'api_keys', 'erasures'].map((table) =>
            t.app.postgres.query(`SELECT * FROM ${table}`),
          ),
        ),
      )
      for (const trace of [agent.person.email, agent.person.login, sha256(agent.cookie), ...keys.map(sha256)]) expect(everything).not.toContain(trace)

      for (const session of [agent, second]) expect((await session.request('GET', '/api/account')).statusCode).toBe(401)
      expect((await login(t, agent.person.login, agent.person.password, '198.51.100.202')).statusCode).toBe(401)
      for (const [key, site] of [[keys[0]!, managed.domain], [keys[1]!, viewed.domain]] as const) {
        const answer = await t.query(key, { site_id: site, ...QUERY })
        // Refused as an unknown key (401), or, where this node still remembers the key, as one
        // that reaches nothing (403); never answered.
        expect([401, 403]).toContain(answer.statusCode)
        expect(answer.json.results).toBeUndefined()
      }
      // The colleague still manages the site; the address and login are free again.
      expect((await colleague.request('GET', `/api/sites/${managed.domain}/members`)).json().members.map((member: { userId: number }) => member.userId)).toEqual([colleague.user.id])
      expect((await register(t, { ...newPerson(), email: agent.person.email, login: agent.person.login })).statusCode).toBe(201)
    })
  })

  // Last: a new version asks everyone signed in before to accept again.
  describe('a new version of the privacy policy', () => {
    let agent: Agent
    let version: number

    beforeAll(async () => {
      agent = await signUp(t)
      const published = await t.app.documents.publish({ kind: 'privacy', language: 'en', text: `# Privacy policy\n\nVersion for ${postgres}, with a new paragraph.\n` })
      expect(published.newVersion).toBe(true)
      version = published.version
    })

    it('is asked for at the next sign-in and on GET /api/account', async () => {
      const signedIn = await login(t, agent.person.login, agent.person.password)
      expect(signedIn.statusCode).toBe(200)
      expect(signedIn.json().pendingAcceptance).toEqual([{ kind: 'privacy', version }])
      const account = await agent.request('GET', '/api/account')
      expect(account.statusCode).toBe(200)
      expect(account.json().pendingAcceptance).toEqual([{ kind: 'privacy', version }])
    })

    it('blocks the other routes with 403 acceptance_required until accepted', async () => {
      for (const [method, url, body] of [
        ['GET', '/api/account/sessions'],
        ['PATCH', '/api/account', { firstName: 'Blocked' }],
        ['GET', '/api/keys'],
        ['POST', '/api/keys', { name: 'blocked' }],
        ['GET', '/api/sites'],
        ['POST', '/api/invitations/accept', { token: 'z'.repeat(43) }],
      ] as const) {
        const response = await refused(() => agent.request(method, url, body), 403)
        expect(response.error, `${method} ${url}`).toBe('acceptance_required')
      }
    })

    it('still lets me read my account, download my data and sign out elsewhere', async () => {
      expect((await agent.request('GET', '/api/account/export')).statusCode).toBe(200)
      const other = await signIn(t, agent.person)
      expect((await other.request('POST', '/api/accounts/logout')).statusCode).toBe(204)
    })

    it('refuses a version that is not the current one, 400 naming it', async () => {
      expect((await refused(() => agent.request('POST', '/api/account/accept', { privacy: version - 1 }), 400)).field).toBe('privacy')
      expect((await refused(() => agent.request('POST', '/api/account/accept', { privacy: version + 1 }), 400)).field).toBe('privacy')
      expect((await refused(() => agent.request('POST', '/api/account/accept', { policy: version }), 400)).field).toBe('policy')
      expect((await refused(() => agent.request('POST', '/api/account/accept', {}), 400)).error).toBe('invalid_request')
    })

    it('records the acceptance and opens the routes again', async () => {
      const response = await agent.request('POST', '/api/account/accept', { privacy: version })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ pendingAcceptance: [] })
      const records = await t.app.postgres.query<{ kind: string; version: number }>('SELECT kind, version FROM acceptances WHERE user_id = $1 ORDER BY kind, version', [agent.user.id])
      expect(records).toEqual([
        { kind: 'privacy', version: version - 1 },
        { kind: 'privacy', version },
        { kind: 'terms', version: (await currentVersions(t)).terms },
      ])
      expect((await agent.request('GET', '/api/keys')).statusCode).toBe(200)
      // Accepting again records nothing new.
      expect((await agent.request('POST', '/api/account/accept', { privacy: version, terms: (await currentVersions(t)).terms })).statusCode).toBe(200)
      expect(await t.app.postgres.query('SELECT 1 FROM acceptances WHERE user_id = $1', [agent.user.id])).toHaveLength(3)
      expect((await login(t, agent.person.login, agent.person.password)).json().pendingAcceptance).toEqual([])
    })

    it('registration now needs the new version', async () => {
      const current = await currentVersions(t)
      expect((await refused(() => register(t, { ...newPerson() }, { ...current, privacy: version - 1 }), 400)).field).toBe('accept.privacy')
      expect((await register(t, { ...newPerson() }, current)).statusCode).toBe(201)
    })

    it('a translation of the current version asks nobody again', async () => {
      const published = await t.app.documents.publish({ kind: 'privacy', language: 'ru', text: '# Политика конфиденциальности\n\nНовая редакция.\n' })
      expect(published).toMatchObject({ version, newVersion: false })
      expect((await agent.request('GET', '/api/account')).json().pendingAcceptance).toEqual([])
    })

    it('an account made by the operator accepts nothing until its person does', async () => {
      const person = newPerson()
      await t.app.accounts.createByOperator({ ...person, role: 'customer' })
      const signedIn = await login(t, person.login, person.password)
      expect(signedIn.json().pendingAcceptance).toEqual([
        { kind: 'privacy', version },
        { kind: 'terms', version: (await currentVersions(t)).terms },
      ])
      const operatorMade = await signIn(t, person)
      expect((await operatorMade.request('GET', '/api/keys')).statusCode).toBe(403)
      await acceptCurrent(t, operatorMade)
      expect((await operatorMade.request('GET', '/api/keys')).statusCode).toBe(200)
    })
  })
}

describe('on PGlite', () => personalSuite('pglite'))
describe.skipIf(!serverUrl)('on the PostgreSQL server', () => personalSuite('server'))
