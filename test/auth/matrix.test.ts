// The authorization matrix: every route under /api/sites, /api/invitations, /api/keys, /api/admin,
// /api/account and the Stats API, asked by each kind of caller, with the exact status expected in
// each cell. A site the caller may not see answers exactly as a site that does not exist, and no
// answer to such a caller holds anything of that site.
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Site } from '../../server/sites/index.ts'
import { createAdmin, currentVersions, newPerson, SESSION_COOKIE, signIn, signUp, type Agent } from '../helpers/accounts.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

const ROLES = ['anonymous', 'customer', 'viewerA', 'managerA', 'managerB', 'admin', 'operator'] as const
type Role = (typeof ROLES)[number]
type People = Exclude<Role, 'anonymous' | 'operator'>

const A = 'alpha.test'
const B = 'beta.test'
const NOWHERE = 'nowhere.test'
/** What only those who may see a site could learn: its time zone and alias. */
const SECRETS: Record<string, string[]> = { [A]: ['Pacific/Chatham', 'alpha-secret.example'], [B]: ['America/Havana', 'beta-secret.example'] }
/** Who may see each site's data. */
const SEES: Record<string, readonly Role[]> = { [A]: ['viewerA', 'managerA', 'admin', 'operator'], [B]: ['managerB', 'admin', 'operator'] }

let t: TestApp
let agents: Record<People, Agent>
let sites: Record<string, Site>
/** Staff of both sites, removed and re-added by the member routes' rows. */
let spare: Agent

beforeAll(async () => {
  t = await startTestApp()
  const [customer, viewerA, managerA, managerB, admin] = [await signUp(t), await signUp(t), await signUp(t), await signUp(t), await createAdmin(t)]
  agents = { customer: customer!, viewerA: viewerA!, managerA: managerA!, managerB: managerB!, admin: admin! }
  spare = await signUp(t)
  sites = {
    [A]: await t.app.sites.add({ domain: A, timezone: 'Pacific/Chatham', aliases: ['alpha-secret.example'] }, managerA!.user.id),
    [B]: await t.app.sites.add({ domain: B, timezone: 'America/Havana', aliases: ['beta-secret.example'] }, managerB!.user.id),
  }
  await t.app.sites.staff.add(sites[A]!.id, viewerA!.user.id, 'viewer')
  for (const site of [A, B]) await t.app.sites.staff.add(sites[site]!.id, spare.user.id, 'viewer')
})
afterAll(() => t?.close())

/** A consent recorded on the site (a random id where the site does not exist), made once. */
const consents = new Map<string, Promise<string>>()
function consentOn(site: string): Promise<string> {
  if (!consents.has(site)) {
    consents.set(
      site,
      site === NOWHERE
        ? Promise.resolve('00000000-0000-4000-8000-000000000000')
        : t.app
            .inject({
              method: 'POST',
              url: '/api/consent',
              headers: { 'content-type': 'text/plain' },
              payload: JSON.stringify({ domain: site, method: 'reject_all', granted: [], configVersion: 1, language: 'en', path: '/', gpc: false, clientTime: Date.now(), bannerVersion: '1' }),
            })
            .then((response) => response.json().consentId as string),
    )
  }
  return consents.get(site)!
}

interface Cell {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  url: string
  payload?: unknown
}

/** Every request the matrix sent, to check that it covered every route in its scope. */
const sent: Array<{ method: string; url: string }> = []

/** Sends a request as `role`: no credentials, the operator's token, or a person's session. */
async function send(role: Role, { method, url, payload }: Cell, agent?: Agent): Promise<LightMyRequestResponse> {
  sent.push({ method, url })
  if (role === 'anonymous' || role === 'operator') {
    return t.app.inject({
      method,
      url,
      headers: role === 'operator' ? { authorization: `Bearer ${t.operatorToken}` } : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
  }
  return (agent ?? agents[role]).request(method, url, payload)
}

/** "401 404 200 …" in the order of ROLES. */
function expected(statuses: string): Record<Role, number> {
  const codes = statuses.trim().split(/\s+/).map(Number)
  expect(codes).toHaveLength(ROLES.length)
  return Object.fromEntries(ROLES.map((role, index) => [role, codes[index]!])) as Record<Role, number>
}

interface Row {
  name: string
  cell: (role: Role) => Cell | Promise<Cell>
  statuses: string
  /** The site the route names, for the same-as-missing and no-leak checks. */
  site?: string
  /** Sends as a fresh session of the person (routes that end the session). */
  fresh?: boolean
}

async function walk(row: Row) {
  const got = {} as Record<Role, number>
  for (const role of ROLES) {
    const cell = await row.cell(role)
    const agent = row.fresh && role !== 'anonymous' && role !== 'operator' ? await signIn(t, agents[role].person) : undefined
    const response = await send(role, cell, agent)
    got[role] = response.statusCode
    expect(response.statusCode, `${role} ${cell.method} ${cell.url}: ${response.body}`).toBeGreaterThanOrEqual(200)
    if (response.statusCode >= 400) {
      const body = response.json()
      expect(body, `${role} ${cell.method} ${cell.url}`).toEqual({ error: expect.any(String), message: expect.any(String), ...(body.field ? { field: body.field } : {}) })
    }
    for (const site of [A, B]) {
      if (SEES[site]!.includes(role)) continue
      for (const secret of SECRETS[site]!) expect(response.body, `${role} ${cell.method} ${cell.url} leaks ${site}`).not.toContain(secret)
    }
    // A site the caller may not see answers as one that does not exist.
    if (row.site && row.site !== NOWHERE && response.statusCode === 404) {
      const elsewhere = (text: string) => text.replaceAll(row.site!, NOWHERE)
      const payload = cell.payload === undefined ? undefined : JSON.parse(elsewhere(JSON.stringify(cell.payload)))
      const missing = await send(role, { ...cell, url: elsewhere(cell.url), payload }, agent)
      expect(missing.statusCode).toBe(404)
      expect(response.body.replaceAll(row.site, NOWHERE), `${role} ${cell.method} ${cell.url}`).toBe(missing.body)
    }
  }
  expect(got).toEqual(expected(row.statuses))
}

const ORDER = 'anonymous customer viewerA managerA managerB admin operator'

describe(`sites, staff and invitations (statuses in the order: ${ORDER})`, () => {
  const perSite = (site: string, statuses: string, cell: (role: Role) => Cell | Promise<Cell>, name: string): Row => ({ name: `${name} on ${site}`, cell, statuses, site })

  const rows: Row[] = [
    { name: 'GET /api/sites', cell: () => ({ method: 'GET', url: '/api/sites' }), statuses: '401 200 200 200 200 200 401' },
    { name: 'POST /api/sites', cell: (role) => ({ method: 'POST', url: '/api/sites', payload: { domain: `added-by-${role.toLowerCase()}.test` } }), statuses: '401 403 403 201 201 201 401' },

    perSite(A, '401 404 200 200 404 200 401', () => ({ method: 'GET', url: `/api/sites/${A}` }), 'GET /api/sites/:domain'),
    perSite(B, '401 404 404 404 200 200 401', () => ({ method: 'GET', url: `/api/sites/${B}` }), 'GET /api/sites/:domain'),
    perSite(NOWHERE, '401 404 404 404 404 404 401', () => ({ method: 'GET', url: `/api/sites/${NOWHERE}` }), 'GET /api/sites/:domain'),

    perSite(A, '401 404 403 200 404 200 401', () => ({ method: 'PATCH', url: `/api/sites/${A}`, payload: { retentionDays: 400 } }), 'PATCH /api/sites/:domain'),
    perSite(B, '401 404 404 404 200 200 401', () => ({ method: 'PATCH', url: `/api/sites/${B}`, payload: { retentionDays: 400 } }), 'PATCH /api/sites/:domain'),
    perSite(NOWHERE, '401 404 404 404 404 404 401', () => ({ method: 'PATCH', url: `/api/sites/${NOWHERE}`, payload: { retentionDays: 400 } }), 'PATCH /api/sites/:domain'),

    perSite(A, '401 404 403 200 404 200 401', () => ({ method: 'GET', url: `/api/sites/${A}/members` }), 'GET /api/sites/:domain/members'),
    perSite(B, '401 404 404 404 200 200 401', () => ({ method: 'GET', url: `/api/sites/${B}/members` }), 'GET /api/sites/:domain/members'),
    perSite(NOWHERE, '401 404 404 404 404 404 401', () => ({ method: 'GET', url: `/api/sites/${NOWHERE}/members` }), 'GET /api/sites/:domain/members'),

    perSite(A, '401 404 403 204 404 204 401', () => ({ method: 'PATCH', url: `/api/sites/${A}/members/${spare.user.id}`, payload: { role: 'viewer' } }), 'PATCH /api/sites/:domain/members/:userId'),
    perSite(B, '401 404 404 404 204 204 401', () => ({ method: 'PATCH', url: `/api/sites/${B}/members/${spare.user.id}`, payload: { role: 'viewer' } }), 'PATCH /api/sites/:domain/members/:userId'),
    perSite(NOWHERE, '401 404 404 404 404 404 401', () => ({ method: 'PATCH', url: `/api/sites/${NOWHERE}/members/${spare.user.id}`, payload: { role: 'viewer' } }), 'PATCH /api/sites/:domain/members/:userId'),

    ...[
      [A, '401 404 403 204 404 204 401'],
      [B, '401 404 404 404 204 204 401'],
      [NOWHERE, '401 404 404 404 404 404 401'],
    ].map(([site, statuses]) =>
      perSite(site!, statuses!, async () => {
        // The spare member is back before each caller tries to remove them.
        for (const domain of [A, B]) await t.app.sites.staff.add(sites[domain]!.id, spare.user.id, 'viewer')
        return { method: 'DELETE', url: `/api/sites/${site}/members/${spare.user.id}` }
      }, 'DELETE /api/sites/:domain/members/:userId'),
    ),

    perSite(A, '401 404 403 200 404 200 401', () => ({ method: 'GET', url: `/api/sites/${A}/invitations` }), 'GET /api/sites/:domain/invitations'),
    perSite(B, '401 404 404 404 200 200 401', () => ({ method: 'GET', url: `/api/sites/${B}/invitations` }), 'GET /api/sites/:domain/invitations'),
    perSite(NOWHERE, '401 404 404 404 404 404 401', () => ({ method: 'GET', url: `/api/sites/${NOWHERE}/invitations` }), 'GET /api/sites/:domain/invitations'),

    ...[
      [A, '401 404 403 201 404 201 401'],
      [B, '401 404 404 404 201 201 401'],
      [NOWHERE, '401 404 404 404 404 404 401'],
    ].map(([site, statuses]) =>
      perSite(site!, statuses!, (role) => ({ method: 'POST', url: `/api/sites/${site}/invitations`, payload: { email: `invited-by-${role.toLowerCase()}@example.test`, role: 'viewer' } }), 'POST /api/sites/:domain/invitations'),
    ),

    // The consent context's staff routes go through the same layer.
    ...([[A, '401 404 200 200 404 200 401'], [B, '401 404 404 404 200 200 401'], [NOWHERE, '401 404 404 404 404 404 401']] as const).flatMap(([site, statuses]) => [
      perSite(site, statuses, () => ({ method: 'GET', url: `/api/sites/${site}/consent` }), 'GET /api/sites/:domain/consent'),
      perSite(site, statuses, () => ({ method: 'GET', url: `/api/sites/${site}/consent/versions/1` }), 'GET /api/sites/:domain/consent/versions/:version'),
      perSite(site, statuses, () => ({ method: 'GET', url: `/api/sites/${site}/consent/report?date_range=7d` }), 'GET /api/sites/:domain/consent/report'),
      perSite(site, statuses, async () => ({ method: 'GET', url: `/api/sites/${site}/consents/${await consentOn(site)}` }), 'GET /api/sites/:domain/consents/:consentId'),
    ]),
    ...([[A, '401 404 403 201 404 201 401'], [B, '401 404 404 404 201 201 401'], [NOWHERE, '401 404 404 404 404 404 401']] as const).map(([site, statuses]) =>
      perSite(site, statuses, () => ({ method: 'POST', url: `/api/sites/${site}/consent/versions`, payload: { expiryDays: 100 } }), 'POST /api/sites/:domain/consent/versions'),
    ),

    // Goals and saved funnels: viewers read them, managers change them.
    ...([[A, '401 404 200 200 404 200 401'], [B, '401 404 404 404 200 200 401'], [NOWHERE, '401 404 404 404 404 404 401']] as const).flatMap(([site, statuses]) => [
      perSite(site, statuses, () => ({ method: 'GET', url: `/api/sites/${site}/goals` }), 'GET /api/sites/:domain/goals'),
      perSite(site, statuses, () => ({ method: 'GET', url: `/api/sites/${site}/funnels` }), 'GET /api/sites/:domain/funnels'),
    ]),
    ...([[A, '401 404 403 201 404 201 401'], [B, '401 404 404 404 201 201 401'], [NOWHERE, '401 404 404 404 404 404 401']] as const).flatMap(([site, statuses]) => [
      perSite(site, statuses, (role) => ({ method: 'POST', url: `/api/sites/${site}/goals`, payload: { kind: 'event', event_name: `Signup by ${role}` } }), 'POST /api/sites/:domain/goals'),
      perSite(site, statuses, (role) => ({
        method: 'POST',
        url: `/api/sites/${site}/funnels`,
        payload: { name: `Funnel of ${role}`, steps: [{ kind: 'page', value: '/' }, { kind: 'event', value: 'Signup' }] },
      }), 'POST /api/sites/:domain/funnels'),
    ]),
    ...([[A, '401 404 403 204 404 204 401'], [B, '401 404 404 404 204 204 401'], [NOWHERE, '401 404 404 404 404 404 401']] as const).flatMap(([site, statuses]) => {
      // A fresh goal and funnel before each caller tries to remove one.
      const siteId = () => sites[site]?.id
      return [
        perSite(site, statuses, async () => {
          const id = siteId() === undefined ? 1 : (await t.app.goals.add(siteId()!, { kind: 'page', page_path: `/goal-${Math.random()}` })).id
          return { method: 'DELETE', url: `/api/sites/${site}/goals/${id}` }
        }, 'DELETE /api/sites/:domain/goals/:id'),
        perSite(site, statuses, async () => {
          const steps = [{ kind: 'page', value: '/' }, { kind: 'page', value: '/pricing' }]
          const id = siteId() === undefined ? 1 : (await t.app.funnels.add(siteId()!, { name: `funnel ${Math.random()}`, steps })).id
          return { method: 'DELETE', url: `/api/sites/${site}/funnels/${id}` }
        }, 'DELETE /api/sites/:domain/funnels/:id'),
      ]
    }),

    { name: 'POST /api/invitations/accept (an unknown token)', cell: () => ({ method: 'POST', url: '/api/invitations/accept', payload: { token: 'u'.repeat(43) } }), statuses: '401 400 400 400 400 400 401' },
  ]

  for (const row of rows) it(row.name, () => walk(row))

  it('lists to each person only the sites they may see', async () => {
    const visible = async (role: People) =>
      ((await agents[role].request('GET', '/api/sites')).json().sites as Array<{ site: { domain: string }; role: string }>)
        .filter((entry) => entry.site.domain === A || entry.site.domain === B)
        .map((entry) => `${entry.site.domain} ${entry.role}`)
    expect(await visible('customer')).toEqual([])
    expect(await visible('viewerA')).toEqual([`${A} viewer`])
    expect(await visible('managerA')).toEqual([`${A} manager`])
    expect(await visible('managerB')).toEqual([`${B} manager`])
    expect(await visible('admin')).toEqual([`${A} admin`, `${B} admin`])
  })

  it('refuses a site named in another spelling as it refuses the site itself', async () => {
    for (const spelling of ['ALPHA.test', 'Alpha.Test']) {
      expect((await agents.viewerA.request('GET', `/api/sites/${spelling}`)).statusCode).toBe(200)
      expect((await agents.managerB.request('GET', `/api/sites/${spelling}`)).statusCode).toBe(404)
    }
  })
})

describe(`Stats API keys (statuses in the order: ${ORDER})`, () => {
  const rows: Row[] = [
    { name: 'GET /api/keys', cell: () => ({ method: 'GET', url: '/api/keys' }), statuses: '401 200 200 200 200 200 401' },
    { name: 'POST /api/keys (all my sites)', cell: () => ({ method: 'POST', url: '/api/keys', payload: { name: 'everything' } }), statuses: '401 201 201 201 201 201 401' },
    { name: `POST /api/keys for ${A}`, site: A, cell: () => ({ method: 'POST', url: '/api/keys', payload: { name: 'one', site: A } }), statuses: '401 404 201 201 404 201 401' },
    { name: `POST /api/keys for ${B}`, site: B, cell: () => ({ method: 'POST', url: '/api/keys', payload: { name: 'one', site: B } }), statuses: '401 404 404 404 201 201 401' },
    { name: `POST /api/keys for ${NOWHERE}`, site: NOWHERE, cell: () => ({ method: 'POST', url: '/api/keys', payload: { name: 'one', site: NOWHERE } }), statuses: '401 404 404 404 404 404 401' },
    {
      name: 'DELETE /api/keys/:id (my own)',
      cell: async (role) => {
        const owner = role === 'anonymous' || role === 'operator' ? spare : agents[role]
        const created = await owner.request('POST', '/api/keys', { name: 'to revoke' })
        return { method: 'DELETE', url: `/api/keys/${created.json().record.id}` }
      },
      statuses: '401 204 204 204 204 204 401',
    },
    {
      name: "DELETE /api/keys/:id (someone else's)",
      cell: async () => {
        const created = await spare.request('POST', '/api/keys', { name: 'not yours' })
        return { method: 'DELETE', url: `/api/keys/${created.json().record.id}` }
      },
      statuses: '401 404 404 404 404 404 401',
    },
  ]
  for (const row of rows) it(row.name, () => walk(row))

  it("never lists or revokes another person's keys", async () => {
    const spareKeys = (await spare.request('GET', '/api/keys')).json().keys as Array<{ name: string }>
    expect(spareKeys.map((key) => key.name).sort()).toEqual(['not yours', 'not yours', 'not yours', 'not yours', 'not yours', 'not yours', 'not yours', 'to revoke', 'to revoke'])
  })
})

describe(`administration (statuses in the order: ${ORDER})`, () => {
  const rows: Row[] = [
    { name: 'GET /api/admin/users', cell: () => ({ method: 'GET', url: '/api/admin/users' }), statuses: '401 403 403 403 403 200 200' },
    {
      name: 'POST /api/admin/users',
      cell: () => ({ method: 'POST', url: '/api/admin/users', payload: { ...newPerson(), role: 'customer' } }),
      statuses: '401 403 403 403 403 201 201',
    },
    { name: 'GET /api/admin/sites', cell: () => ({ method: 'GET', url: '/api/admin/sites' }), statuses: '401 403 403 403 403 200 200' },
    {
      name: 'POST /api/admin/sites',
      cell: (role) => ({ method: 'POST', url: '/api/admin/sites', payload: { domain: `admin-added-by-${role.toLowerCase()}.test` } }),
      statuses: '401 403 403 403 403 201 201',
    },
    { name: `PATCH /api/admin/sites/${A}`, cell: () => ({ method: 'PATCH', url: `/api/admin/sites/${A}`, payload: { retentionDays: 400 } }), statuses: '401 403 403 403 403 200 200' },
    { name: `PATCH /api/admin/sites/${NOWHERE}`, cell: () => ({ method: 'PATCH', url: `/api/admin/sites/${NOWHERE}`, payload: { retentionDays: 400 } }), statuses: '401 403 403 403 403 404 404' },
    {
      name: 'POST /api/admin/seed',
      // A site of its own, so that the synthetic traffic does not change the counts asked below.
      cell: async () => {
        if (!(await t.app.sites.find('seeded.test'))) await t.app.sites.add({ domain: 'seeded.test' })
        return { method: 'POST', url: '/api/admin/seed', payload: { site: 'seeded.test', events: 5, days: 1 } }
      },
      statuses: '401 403 403 403 403 200 200',
    },
    { name: `POST /api/admin/sites/${A}/keys`, cell: () => ({ method: 'POST', url: `/api/admin/sites/${A}/keys` }), statuses: '401 403 403 403 403 201 201' },
    // A malformed body: 400 shows the caller got past the check, without publishing a version
    // that every account would then have to accept.
    {
      name: 'POST /api/admin/documents',
      cell: () => ({ method: 'POST', url: '/api/admin/documents', payload: { kind: 'nonsense', language: 'en', text: 'x' } }),
      statuses: '401 403 403 403 403 400 400',
    },
  ]
  for (const row of rows) it(row.name, () => walk(row))

  it('the admin lists never reach a person without the admin role', async () => {
    const users = (await agents.admin.request('GET', '/api/admin/users')).json().users as Array<{ email: string }>
    expect(users.map((user) => user.email)).toEqual(expect.arrayContaining(Object.values(agents).map((agent) => agent.person.email)))
    expect(JSON.stringify(users)).not.toContain('argon2')
  })
})

describe(`the personal account (statuses in the order: ${ORDER})`, () => {
  const rows: Row[] = [
    { name: 'GET /api/account', cell: () => ({ method: 'GET', url: '/api/account' }), statuses: '401 200 200 200 200 200 401' },
    { name: 'PATCH /api/account', cell: () => ({ method: 'PATCH', url: '/api/account', payload: { language: 'en' } }), statuses: '401 200 200 200 200 200 401' },
    { name: 'POST /api/account/accept', cell: async () => ({ method: 'POST', url: '/api/account/accept', payload: await currentVersions(t) }), statuses: '401 200 200 200 200 200 401' },
    { name: 'GET /api/account/sessions', cell: () => ({ method: 'GET', url: '/api/account/sessions' }), statuses: '401 200 200 200 200 200 401' },
    { name: 'GET /api/account/export', cell: () => ({ method: 'GET', url: '/api/account/export' }), statuses: '401 200 200 200 200 200 401' },
    { name: 'POST /api/account/email/resend', cell: () => ({ method: 'POST', url: '/api/account/email/resend' }), statuses: '401 202 202 202 202 202 401' },
    {
      name: 'POST /api/account/email/confirm (an unknown token; the token is the credential)',
      cell: () => ({ method: 'POST', url: '/api/account/email/confirm', payload: { token: 'c'.repeat(43) } }),
      statuses: '400 400 400 400 400 400 400',
    },
    {
      name: 'DELETE /api/account (a wrong password)',
      cell: () => ({ method: 'DELETE', url: '/api/account', payload: { password: 'not-the-password', confirm: 'DELETE' } }),
      statuses: '401 400 400 400 400 400 401',
    },
    { name: 'POST /api/accounts/logout', fresh: true, cell: () => ({ method: 'POST', url: '/api/accounts/logout' }), statuses: '401 204 204 204 204 204 401' },
  ]
  for (const row of rows) it(row.name, () => walk(row))

  it("exports only the caller's own data", async () => {
    for (const role of ['customer', 'viewerA', 'managerB'] as const) {
      const data = (await agents[role].request('GET', '/api/account/export')).json()
      expect(data.account.profile.id).toBe(agents[role].user.id)
      const others = Object.entries(agents).filter(([other]) => other !== role)
      for (const [, other] of others) expect(JSON.stringify(data)).not.toContain(other.person.email)
    }
  })
})

describe('POST /api/v2/query: which key reaches which site', () => {
  const QUERY = { metrics: ['visitors'], date_range: '7d' }
  const keys: Record<string, string> = {}
  const query = (key: string | null, site: string, headers: Record<string, string> = {}) => {
    sent.push({ method: 'POST', url: '/api/v2/query' })
    return t.app.inject({
      method: 'POST',
      url: '/api/v2/query',
      headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...headers },
      payload: { site_id: site, ...QUERY },
    })
  }
  const newKey = async (agent: Agent, site?: string) => {
    const response = await agent.request('POST', '/api/keys', { name: 'stats', ...(site ? { site } : {}) })
    expect(response.statusCode, response.body).toBe(201)
    return response.json().key as string
  }

  beforeAll(async () => {
    keys.customer = await newKey(agents.customer)
    keys.viewerA = await newKey(agents.viewerA)
    keys['viewerA, scoped to A'] = await newKey(agents.viewerA, A)
    keys.managerA = await newKey(agents.managerA)
    keys.managerB = await newKey(agents.managerB)
    keys.admin = await newKey(agents.admin)
    keys['admin, scoped to B'] = await newKey(agents.admin, B)
    keys['operator, for A'] = (await t.app.inject({ method: 'POST', url: `/api/admin/sites/${A}/keys`, headers: { authorization: `Bearer ${t.operatorToken}` } })).json().key
  })

  // Statuses for alpha.test, beta.test, nowhere.test.
  const table: Array<[string, string]> = [
    ['customer', '403 403 403'],
    ['viewerA', '200 403 403'],
    ['viewerA, scoped to A', '200 403 403'],
    ['managerA', '200 403 403'],
    ['managerB', '403 200 403'],
    ['admin', '200 200 403'],
    ['admin, scoped to B', '403 200 403'],
    ['operator, for A', '200 403 403'],
  ]

  it.each(table)("the key of %s: %s", async (owner, statuses) => {
    const got: number[] = []
    for (const site of [A, B, NOWHERE]) {
      const response = await query(keys[owner]!, site)
      got.push(response.statusCode)
      if (response.statusCode !== 200) {
        // Refused exactly as for a site that does not exist, and with nothing of the site.
        const missing = await query(keys[owner]!, NOWHERE)
        expect(response.body.replaceAll(site, NOWHERE)).toBe(missing.body)
        expect(response.json().results).toBeUndefined()
      } else {
        expect(response.json().results).toEqual([{ metrics: [0], dimensions: [] }])
      }
    }
    expect(got.join(' ')).toBe(statuses)
  })

  it('refuses a request without a key, with an unknown key or the operator token: 401', async () => {
    for (const key of [null, 'cnd_unknown', `${keys.admin}x`, t.operatorToken]) {
      const response = await query(key, A)
      expect(response.statusCode).toBe(401)
      expect(response.json().error).toBe('unauthorized')
    }
  })

  it('refuses a session without its CSRF token: 403', async () => {
    const response = await query(null, A, { cookie: `${SESSION_COOKIE}=${agents.admin.cookie}` })
    expect(response.statusCode).toBe(403)
    expect(response.json().error).toBe('csrf')
  })

  // A login session (the dashboard) reaches the sites its person may read; statuses for alpha.test,
  // beta.test, nowhere.test, on the query and the funnel route.
  const FUNNEL = { steps: [{ kind: 'page', value: '/' }, { kind: 'page', value: '/pricing' }] }
  it.each([
    ['customer', '403 403 403'],
    ['viewerA', '200 403 403'],
    ['managerA', '200 403 403'],
    ['managerB', '403 200 403'],
    ['admin', '200 200 403'],
  ] as const)('the session of %s: %s', async (role, statuses) => {
    for (const [url, body] of [['/api/v2/query', QUERY], ['/api/v2/funnel', FUNNEL], ['/api/v2/export', {}]] as const) {
      const got: number[] = []
      for (const site of [A, B, NOWHERE]) {
        sent.push({ method: 'POST', url })
        const response = await agents[role].request('POST', url, { ...body, site_id: site, date_range: '7d' })
        got.push(response.statusCode)
        if (response.statusCode === 200 && url === '/api/v2/export') expect(response.headers['content-type']).toBe('application/zip')
        if (response.statusCode !== 200) {
          const missing = await agents[role].request('POST', url, { ...body, site_id: NOWHERE, date_range: '7d' })
          expect(response.body.replaceAll(site, NOWHERE)).toBe(missing.body)
        }
      }
      expect(got.join(' '), url).toBe(statuses)
    }
  })

  it('a key reaches the funnel and export routes as it reaches the query', async () => {
    for (const [url, body] of [['/api/v2/funnel', FUNNEL], ['/api/v2/export', {}]] as const) {
      for (const [site, status] of [[A, 200], [B, 403]] as const) {
        sent.push({ method: 'POST', url })
        const response = await t.app.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${keys.managerA}` },
          payload: { ...body, site_id: site, date_range: '7d' },
        })
        expect(response.statusCode, `${url} ${response.body}`).toBe(status)
      }
    }
  })

  it('stops a revoked key at once', async () => {
    const key = await newKey(agents.managerA)
    expect((await query(key, A)).statusCode).toBe(200)
    const [record] = ((await agents.managerA.request('GET', '/api/keys')).json().keys as Array<{ id: number; prefix: string }>).filter((entry) => key.startsWith(entry.prefix))
    expect((await agents.managerA.request('DELETE', `/api/keys/${record!.id}`)).statusCode).toBe(204)
    expect((await query(key, A)).statusCode).toBe(401)
  })

  it('a key stops reaching a site once its owner leaves the staff', async () => {
    const leaver = await signUp(t)
    await t.app.sites.staff.add(sites[A]!.id, leaver.user.id, 'viewer')
    const scoped = await newKey(leaver, A)
    const unscoped = await newKey(leaver)
    expect((await query(scoped, A)).statusCode).toBe(200)
    expect((await query(unscoped, A)).statusCode).toBe(200)
    expect((await agents.managerA.request('DELETE', `/api/sites/${A}/members/${leaver.user.id}`)).statusCode).toBe(204)
    for (const key of [scoped, unscoped]) {
      const response = await query(key, A)
      expect(response.statusCode).toBe(403)
      expect(response.body.replaceAll(A, NOWHERE)).toBe((await query(key, NOWHERE)).body)
    }
    // Back on the staff, the key works again: it reaches what its owner may read, now.
    await t.app.sites.staff.add(sites[A]!.id, leaver.user.id, 'viewer')
    expect((await query(scoped, A)).statusCode).toBe(200)
  })

  it("an administrator's key stops reaching other sites once the role is taken away", async () => {
    const former = await createAdmin(t)
    const key = await newKey(former)
    expect((await query(key, B)).statusCode).toBe(200)
    await t.app.postgres.query("UPDATE users SET role = 'customer' WHERE id = $1", [former.user.id])
    expect((await query(key, B)).statusCode).toBe(403)
  })
})

describe('the matrix', () => {
  const inScope = (path: string) =>
    ['/api/sites', '/api/invitations/', '/api/keys', '/api/admin/', '/api/account/', '/api/v2/'].some((prefix) => path.startsWith(prefix)) || path === '/api/account'

  it('covers every route under /api/sites, /api/invitations, /api/keys, /api/admin, /api/account and the Stats API', () => {
    const document = t.app.swagger() as { paths: Record<string, Record<string, unknown>> }
    const routes = Object.entries(document.paths)
      .filter(([path]) => inScope(path))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => ({ method: method.toUpperCase(), path })))
    expect(routes.length).toBeGreaterThan(25)
    const pattern = (path: string) => new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`)
    const missed = routes.filter(({ method, path }) => !sent.some((request) => request.method === method && pattern(path).test(request.url.split('?')[0]!)))
    expect(missed).toEqual([])
  })
})
