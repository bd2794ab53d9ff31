// A site's staff through the API: who may add a site, invitations mailed through the real SMTP
// capture and accepted only by the verified account with the invited address, role changes and
// removals (a site always keeps a manager), and a manager's changes to the site's settings.
// A refused request changes nothing. Runs on PGlite and on the PostgreSQL server at DATABASE_URL.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createAdmin,
  linkIn,
  mailCount,
  newPerson,
  nextMail,
  registerAndReadMail,
  signIn,
  signUp,
  verify,
  type Agent,
} from '../helpers/accounts.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { explainSkip, serverUrl } from '../helpers/postgres.ts'

explainSkip()

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

function staffSuite(postgres: 'pglite' | 'server') {
  let t: TestApp
  let admin: Agent
  let customer: Agent

  beforeAll(async () => {
    t = await startTestApp({ postgres })
    admin = await createAdmin(t)
    customer = await signUp(t)
  })
  afterAll(() => t?.close())

  /** Every row of the sites context, to prove a refused request wrote nothing. */
  const snapshot = async () =>
    JSON.stringify([
      await t.app.postgres.query('SELECT id, domain, aliases, timezone, retention_days, public_dashboard FROM sites ORDER BY id'),
      await t.app.postgres.query('SELECT site_id, user_id, role FROM site_members ORDER BY site_id, user_id'),
      await t.app.postgres.query('SELECT token_hash, site_id, email, role, accepted_at FROM site_invitations ORDER BY token_hash'),
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

  const members = async (agent: Agent, domain: string) =>
    ((await agent.request('GET', `/api/sites/${domain}/members`)).json().members as Array<{ userId: number; role: string; email: string }>).map(
      ({ userId, role }) => ({ userId, role }),
    )

  /** Invites `email` to `domain` and returns the token from the mail it sent. */
  async function invite(by: Agent, domain: string, email: string, role: 'viewer' | 'manager', language?: 'en' | 'ru') {
    const since = mailCount(t)
    const response = await by.request('POST', `/api/sites/${domain}/invitations`, { email, role, ...(language ? { language } : {}) })
    expect(response.statusCode, response.body).toBe(201)
    const mail = await nextMail(t, (message) => message.to.includes(email.toLowerCase()), since)
    return { response, mail, token: linkIn(mail).token }
  }

  const accept = (agent: Agent, token: string) => agent.request('POST', '/api/invitations/accept', { token })

  describe('adding a site', () => {
    it('is refused to a customer who manages no site: 403, nothing added', async () => {
      const body = await refused(() => customer.request('POST', '/api/sites', { domain: 'customer.test' }), 403)
      expect(body.error).toBe('forbidden')
    })

    it('is refused to an anonymous caller: 401', async () => {
      await refused(() => t.app.inject({ method: 'POST', url: '/api/sites', payload: { domain: 'anonymous.test' } }), 401)
    })

    it('an administrator adds a site and becomes its manager', async () => {
      const response = await admin.request('POST', '/api/sites', { domain: 'Shop.Test', timezone: 'Europe/Berlin' })
      expect(response.statusCode).toBe(201)
      expect(response.json()).toMatchObject({ domain: 'shop.test', timezone: 'Europe/Berlin', retentionDays: 730, publicDashboard: false, aliases: [] })
      expect(await members(admin, 'shop.test')).toEqual([{ userId: admin.user.id, role: 'manager' }])
      const mine = (await admin.request('GET', '/api/sites')).json().sites
      expect(mine).toEqual([{ site: expect.objectContaining({ domain: 'shop.test' }), role: 'admin' }])
    })

    it('refuses a duplicate (409) or a malformed domain (400 naming it)', async () => {
      expect((await refused(() => admin.request('POST', '/api/sites', { domain: 'SHOP.test.' }), 409)).field).toBe('domain')
      expect((await refused(() => admin.request('POST', '/api/sites', { domain: 'https://new.test/' }), 400)).field).toBe('domain')
      expect((await refused(() => admin.request('POST', '/api/sites', { domain: 'new.test', retentionDays: 0 }), 400)).field).toBe('retentionDays')
    })
  })

  describe('invitations', () => {
    let manager: Agent

    it('mail a link with a single-use token to the invited address, kept only as a hash', async () => {
      const person = newPerson()
      const { response, mail, token } = await invite(admin, 'shop.test', person.email.toUpperCase(), 'manager')
      const invitation = response.json()
      expect(invitation).toEqual({ email: person.email, role: 'manager', expiresAt: expect.any(String), acceptedAt: null, createdAt: expect.any(String) })
      const lifetime = new Date(invitation.expiresAt).getTime() - new Date(invitation.createdAt).getTime()
      expect(lifetime).toBe(7 * 86_400_000)
      expect(mail.to).toEqual([person.email])
      expect(mail.subject).toBe('You are invited to shop.test on Candor')
      expect(mail.text).toContain('as a manager')
      const { url } = linkIn(mail)
      expect(`${url.origin}${url.pathname}`).toBe(`${t.config.publicUrl}/account/invitation`)
      const rows = await t.app.postgres.query<Record<string, unknown>>('SELECT * FROM site_invitations')
      expect(rows).toEqual([expect.objectContaining({ token_hash: sha256(token), email: person.email, role: 'manager', invited_by: admin.user.id })])
      expect(JSON.stringify(rows)).not.toContain(token)

      // The invited person registers with that address, confirms it and accepts.
      const { token: verification } = await registerAndReadMail(t, { ...person })
      const unverified = await signIn(t, person)
      const early = await refused(() => accept(unverified, token), 403)
      expect(early.message).toContain('confirm your email address')
      expect((await verify(t, verification)).statusCode).toBe(200)
      manager = await signIn(t, person)
      const accepted = await accept(manager, token)
      expect(accepted.statusCode).toBe(200)
      expect(accepted.json()).toEqual({ site: expect.objectContaining({ domain: 'shop.test' }), role: 'manager' })
      expect(await members(admin, 'shop.test')).toEqual([
        { userId: admin.user.id, role: 'manager' },
        { userId: manager.user.id, role: 'manager' },
      ])
      const listed = (await manager.request('GET', '/api/sites/shop.test/invitations')).json().invitations
      expect(listed).toEqual([expect.objectContaining({ email: person.email, acceptedAt: expect.any(String) })])

      // Used once.
      expect((await refused(() => accept(manager, token), 400)).field).toBe('token')
    })

    it('are accepted once, however many acceptances arrive at once', async () => {
      const invited = await signUp(t)
      const { token } = await invite(admin, 'shop.test', invited.person.email, 'viewer')
      const answers = await Promise.all([accept(invited, token), accept(invited, token), accept(invited, token)])
      expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 400, 400])
      const [row] = await t.app.postgres.query<{ accepted_at: Date | null }>('SELECT accepted_at FROM site_invitations WHERE token_hash = $1', [sha256(token)])
      expect(row!.accepted_at).toBeInstanceOf(Date)
    })

    it('are accepted only by the account with the invited address', async () => {
      const invited = newPerson()
      const { token } = await invite(manager, 'shop.test', invited.email, 'viewer')
      const stranger = await signUp(t)
      const body = await refused(() => accept(stranger, token), 403)
      expect(body.message).toContain('another email address')
      // The invitation still works for its addressee.
      const addressee = await signUp(t, invited)
      expect((await accept(addressee, token)).json().role).toBe('viewer')
    })

    it('refuse an expired, unknown or malformed token', async () => {
      const invited = await signUp(t)
      const { token } = await invite(manager, 'shop.test', invited.person.email, 'viewer')
      await t.app.postgres.query("UPDATE site_invitations SET expires_at = now() - interval '1 second' WHERE token_hash = $1", [sha256(token)])
      expect((await refused(() => accept(invited, token), 400)).field).toBe('token')
      expect((await refused(() => accept(invited, 'q'.repeat(43)), 400)).field).toBe('token')
      expect((await refused(() => accept(invited, 'short'), 400)).field).toBe('token')
      expect((await refused(() => t.app.inject({ method: 'POST', url: '/api/invitations/accept', payload: { token } }), 401)).error).toBe('unauthorized')
    })

    it('are written in the language asked for', async () => {
      const { mail } = await invite(manager, 'shop.test', newPerson().email, 'viewer', 'ru')
      expect(mail.subject).toBe('Приглашение в shop.test на Candor')
      expect(mail.text).toContain('наблюдатель')
    })

    it('refuse a malformed address or role, and viewers may not invite', async () => {
      expect((await refused(() => manager.request('POST', '/api/sites/shop.test/invitations', { email: 'not an address', role: 'viewer' }), 400)).field).toBe('email')
      expect((await refused(() => manager.request('POST', '/api/sites/shop.test/invitations', { email: 'x@example.test', role: 'owner' }), 400)).field).toBe('role')
      const viewer = await signUp(t)
      await t.app.sites.staff.add((await t.app.sites.get('shop.test')).id, viewer.user.id, 'viewer')
      expect((await refused(() => viewer.request('POST', '/api/sites/shop.test/invitations', { email: 'x@example.test', role: 'viewer' }), 403)).error).toBe('forbidden')
      expect((await refused(() => customer.request('POST', '/api/sites/shop.test/invitations', { email: 'x@example.test', role: 'viewer' }), 404)).error).toBe('not_found')
    })

    it('do not demote a manager who accepts a viewer invitation', async () => {
      const { token } = await invite(admin, 'shop.test', manager.person.email, 'viewer')
      expect((await accept(manager, token)).statusCode).toBe(200)
      expect((await t.app.sites.roleOf(manager.user.id, (await t.app.sites.get('shop.test')).id))).toBe('manager')
    })

    it('a manager of any site may add sites; a viewer may not', async () => {
      const response = await manager.request('POST', '/api/sites', { domain: 'second.test' })
      expect(response.statusCode).toBe(201)
      expect(await members(manager, 'second.test')).toEqual([{ userId: manager.user.id, role: 'manager' }])
      const viewer = await signUp(t)
      await t.app.sites.staff.add((await t.app.sites.get('shop.test')).id, viewer.user.id, 'viewer')
      expect((await refused(() => viewer.request('POST', '/api/sites', { domain: 'viewer.test' }), 403)).error).toBe('forbidden')
    })
  })

  describe('members', () => {
    let manager: Agent
    let viewer: Agent
    let siteId: number

    beforeAll(async () => {
      manager = await signUp(t)
      viewer = await signUp(t)
      const site = await t.app.sites.add({ domain: 'team.test' }, manager.user.id)
      siteId = site.id
      await t.app.sites.staff.add(siteId, viewer.user.id, 'viewer')
    })

    const change = (by: Agent, userId: number, role: unknown, domain = 'team.test') => by.request('PATCH', `/api/sites/${domain}/members/${userId}`, { role })
    const remove = (by: Agent, userId: number, domain = 'team.test') => by.request('DELETE', `/api/sites/${domain}/members/${userId}`)

    it('a manager sees the staff with their names and addresses', async () => {
      const response = await manager.request('GET', '/api/sites/team.test/members')
      expect(response.statusCode).toBe(200)
      expect(response.json().members).toEqual([
        { userId: manager.user.id, role: 'manager', since: expect.any(String), firstName: 'Ada', lastName: 'Lovelace', email: manager.person.email, login: manager.person.login },
        { userId: viewer.user.id, role: 'viewer', since: expect.any(String), firstName: 'Ada', lastName: 'Lovelace', email: viewer.person.email, login: viewer.person.login },
      ])
      expect(response.body).not.toContain('argon2')
    })

    it('the last manager can be neither demoted nor removed: 409, nothing changed', async () => {
      expect((await refused(() => change(manager, manager.user.id, 'viewer'), 409)).field).toBe('role')
      expect((await refused(() => remove(manager, manager.user.id), 409)).error).toBe('conflict')
      // Not even by an administrator.
      expect((await refused(() => remove(admin, manager.user.id), 409)).error).toBe('conflict')
    })

    it('a viewer changes nothing (403); a stranger sees no site (404)', async () => {
      expect((await refused(() => change(viewer, viewer.user.id, 'manager'), 403)).error).toBe('forbidden')
      expect((await refused(() => remove(viewer, manager.user.id), 403)).error).toBe('forbidden')
      expect((await refused(() => change(customer, viewer.user.id, 'manager'), 404)).error).toBe('not_found')
      expect((await refused(() => remove(customer, viewer.user.id), 404)).error).toBe('not_found')
    })

    it('refuses an unknown member, a member of another site, a bad role or id', async () => {
      expect((await refused(() => change(manager, customer.user.id, 'viewer'), 404)).error).toBe('not_found')
      expect((await refused(() => remove(manager, admin.user.id), 404)).error).toBe('not_found')
      expect((await refused(() => change(manager, viewer.user.id, 'owner'), 400)).field).toBe('role')
      expect((await refused(() => manager.request('PATCH', '/api/sites/team.test/members/abc', { role: 'viewer' }), 400)).field).toBe('userId')
      expect((await refused(() => manager.request('PATCH', `/api/sites/team.test/members/${viewer.user.id}`, {}), 400)).field).toBe('role')
    })

    it('a manager promotes a viewer, who may then step down while another manager remains', async () => {
      expect((await change(manager, viewer.user.id, 'manager')).statusCode).toBe(204)
      expect((await viewer.request('PATCH', '/api/sites/team.test', { retentionDays: 365 })).statusCode).toBe(200)
      expect((await change(viewer, manager.user.id, 'viewer')).statusCode).toBe(204)
      expect(await members(viewer, 'team.test')).toEqual([
        { userId: manager.user.id, role: 'viewer' },
        { userId: viewer.user.id, role: 'manager' },
      ])
      expect((await refused(() => change(viewer, viewer.user.id, 'viewer'), 409)).field).toBe('role')
      expect((await change(viewer, manager.user.id, 'manager')).statusCode).toBe(204)
      expect((await change(manager, viewer.user.id, 'viewer')).statusCode).toBe(204)
    })

    it('two managers demoting each other at once leave one manager', async () => {
      const first = await signUp(t)
      const second = await signUp(t)
      const site = await t.app.sites.add({ domain: 'race.test' }, first.user.id)
      await t.app.sites.staff.add(site.id, second.user.id, 'manager')
      const answers = await Promise.all([change(first, second.user.id, 'viewer', 'race.test'), change(second, first.user.id, 'viewer', 'race.test')])
      const statuses = answers.map((answer) => answer.statusCode).sort()
      // One goes through; the other finds itself demoted (403) or the last manager (409).
      expect(statuses[0]).toBe(204)
      expect([403, 409]).toContain(statuses[1])
      expect((await t.app.sites.staff.members(site.id)).map((member) => member.role).sort()).toEqual(['manager', 'viewer'])
    })

    it('a removed member no longer sees the site', async () => {
      expect((await viewer.request('GET', '/api/sites/team.test')).statusCode).toBe(200)
      expect((await remove(manager, viewer.user.id)).statusCode).toBe(204)
      expect((await viewer.request('GET', '/api/sites/team.test')).statusCode).toBe(404)
      expect((await viewer.request('GET', '/api/sites')).json().sites.map((entry: { site: { domain: string } }) => entry.site.domain)).not.toContain('team.test')
      expect(await members(manager, 'team.test')).toEqual([{ userId: manager.user.id, role: 'manager' }])
    })
  })

  describe("a site's settings", () => {
    let manager: Agent
    let viewer: Agent

    beforeAll(async () => {
      manager = await signUp(t)
      viewer = await signUp(t)
      const site = await t.app.sites.add({ domain: 'settings.test' }, manager.user.id)
      await t.app.sites.staff.add(site.id, viewer.user.id, 'viewer')
    })

    const update = (by: Agent, changes: unknown) => by.request('PATCH', '/api/sites/settings.test', changes)

    it('a manager changes hostnames, time zone, retention and the public dashboard', async () => {
      const response = await update(manager, { aliases: ['Staging.Settings.Test', 'localhost'], timezone: 'Asia/Tokyo', retentionDays: 90, publicDashboard: true })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toMatchObject({ domain: 'settings.test', aliases: ['staging.settings.test', 'localhost'], timezone: 'Asia/Tokyo', retentionDays: 90, publicDashboard: true })
      const [row] = await t.app.postgres.query('SELECT aliases, timezone, retention_days, public_dashboard FROM sites WHERE domain = $1', ['settings.test'])
      expect(row).toEqual({ aliases: ['staging.settings.test', 'localhost'], timezone: 'Asia/Tokyo', retention_days: 90, public_dashboard: true })
      // The viewer reads it too; fields left out stay as they are.
      expect((await viewer.request('GET', '/api/sites/settings.test')).json()).toEqual({ site: response.json(), role: 'viewer' })
      const off = await update(manager, { publicDashboard: false })
      expect(off.json()).toMatchObject({ publicDashboard: false, timezone: 'Asia/Tokyo', retentionDays: 90 })
    })

    it('refuses bad settings with 400 naming the field, and changes nothing', async () => {
      expect((await refused(() => update(manager, { publicDashboard: 'yes' }), 400)).field).toBe('publicDashboard')
      expect((await refused(() => update(manager, { timezone: 'Mars/Olympus' }), 400)).field).toBe('timezone')
      expect((await refused(() => update(manager, { retentionDays: 36501 }), 400)).field).toBe('retentionDays')
      expect((await refused(() => update(manager, { aliases: ['http://x.test'] }), 400)).field).toMatch(/^aliases/)
      expect((await refused(() => update(manager, { domain: 'other.test' }), 400)).field).toBe('domain')
      expect((await refused(() => update(manager, {}), 400)).error).toBe('invalid_request')
    })

    it('a viewer may not change them (403), a stranger sees no site (404)', async () => {
      expect((await refused(() => update(viewer, { publicDashboard: true }), 403)).error).toBe('forbidden')
      expect((await refused(() => update(customer, { publicDashboard: true }), 404)).error).toBe('not_found')
    })
  })
}

describe('on PGlite', () => staffSuite('pglite'))
describe.skipIf(!serverUrl)('on the PostgreSQL server', () => staffSuite('server'))
