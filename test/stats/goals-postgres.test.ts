// Goals and saved funnels on the PostgreSQL server (DATABASE_URL), as on PGlite: the migrations,
// the unique indexes' 409s, jsonb steps, and event:goal reading them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signUp, type Agent } from '../helpers/accounts.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { DAY, SITE, seedDay, table } from './dataset.ts'

let t: TestApp
let key: string
let manager: Agent

beforeAll(async () => {
  t = await startTestApp({ postgres: 'server' })
  key = await t.addSite(SITE)
  await seedDay(t)
  manager = await signUp(t)
  await t.app.sites.staff.add((await t.app.sites.get(SITE)).id, manager.user.id, 'manager')
})
afterAll(() => t?.close())

describe('goals and funnels on the PostgreSQL server', () => {
  it('adds, refuses duplicates, lists, queries and removes', async () => {
    const added = await manager.request('POST', `/api/sites/${SITE}/goals`, { kind: 'event', event_name: 'Signup' })
    expect(added.statusCode, added.body).toBe(201)
    expect((await manager.request('POST', `/api/sites/${SITE}/goals`, { kind: 'event', event_name: 'Signup' })).json()).toMatchObject({ error: 'conflict', field: 'event_name' })
    expect((await manager.request('GET', `/api/sites/${SITE}/goals`)).json().goals).toHaveLength(1)
    const response = await t.query(key, { site_id: SITE, date_range: [DAY, DAY], metrics: ['visitors', 'conversion_rate'], dimensions: ['event:goal'] })
    expect(table(response.json)).toEqual({ Signup: [2, 50] })
    expect((await manager.request('DELETE', `/api/sites/${SITE}/goals/${added.json().id}`)).statusCode).toBe(204)

    const steps = [{ kind: 'page', value: '/*' }, { kind: 'event', value: 'Signup' }]
    const funnel = await manager.request('POST', `/api/sites/${SITE}/funnels`, { name: 'F', steps })
    expect(funnel.statusCode, funnel.body).toBe(201)
    expect((await manager.request('POST', `/api/sites/${SITE}/funnels`, { name: 'F', steps })).statusCode).toBe(409)
    expect((await manager.request('GET', `/api/sites/${SITE}/funnels`)).json()).toEqual({ funnels: [{ id: funnel.json().id, name: 'F', steps }] })
  })
})
