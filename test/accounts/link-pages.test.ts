// The pages that links in mail open: each shows a form, and submitting it (a plain HTML form) does
// the work. Mail goes through the app's real in-process SMTP server; links are taken from it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let origin: string
beforeAll(async () => {
  t = await startTestApp()
  origin = new URL(t.config.publicUrl).origin
})
afterAll(() => t?.close())

const PASSWORD = 'correct horse battery'

async function register(login: string, email: string) {
  const versions = await t.app.documents.currentVersions()
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/accounts/register',
    payload: { firstName: 'Ada', lastName: 'Lovelace', email, login, password: PASSWORD, accept: versions },
  })
  expect(response.statusCode).toBe(201)
}

/** The path and query of the link in the newest mail to `to` whose link starts with `path`. */
async function linkFrom(to: string, path: string): Promise<string> {
  const mail = await t.app.mailCapture!.next((candidate) => candidate.to.includes(to) && candidate.text.includes(path))
  const url = new URL(/https?:\/\/\S+/.exec(mail.text.slice(mail.text.indexOf(path) - 60))![0])
  return `${url.pathname}${url.search}`
}

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded', origin, ...headers },
  payload: new URLSearchParams(fields).toString(),
})

async function signIn(identifier: string, password = PASSWORD) {
  const response = await t.app.inject({ method: 'POST', url: '/api/accounts/login', payload: { identifier, password } })
  return { status: response.statusCode, cookie: response.cookies.find((c) => c.name === 'candor_session')?.value, csrf: response.json().csrfToken as string }
}

describe('confirming an address', () => {
  it('shows a form, not the work, on GET; confirms on POST', async () => {
    await register('ada', 'ada@example.test')
    const link = await linkFrom('ada@example.test', '/account/verify')
    const token = new URLSearchParams(link.split('?')[1]).get('token')!
    const page = await t.app.inject({ url: link })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toContain('text/html')
    expect(page.headers['content-security-policy']).toContain("default-src 'none'")
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.body).toContain(`value="${token}"`)
    // A mail scanner following the link does not use the token up.
    expect((await t.app.accounts.findByEmail('ada@example.test'))!.emailVerified).toBe(false)

    const done = await t.app.inject({ method: 'POST', url: '/account/verify', ...form({ token }) })
    expect(done.statusCode).toBe(200)
    expect(done.body).toContain('Your email address is confirmed')
    expect((await t.app.accounts.findByEmail('ada@example.test'))!.emailVerified).toBe(true)

    const again = await t.app.inject({ method: 'POST', url: '/account/verify', ...form({ token }) })
    expect(again.statusCode).toBe(400)
    expect(again.body).toContain('used already')
  })

  it('speaks Russian when asked, and escapes whatever the link carries', async () => {
    const page = await t.app.inject({ url: '/account/verify?token=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E', headers: { 'accept-language': 'ru-RU,ru;q=0.9' } })
    expect(page.body).toContain('<html lang="ru">')
    expect(page.body).toContain('Подтвердить адрес')
    expect(page.body).not.toContain('<script>')
    expect((await t.app.inject({ url: '/account/verify' })).statusCode).toBe(400)
  })
})

describe('choosing a new password', () => {
  it('asks twice, keeps the form on a mistake, and ends every session on success', async () => {
    await register('grace', 'grace@example.test')
    const before = await signIn('grace')
    expect(before.status).toBe(200)
    await t.app.inject({ method: 'POST', url: '/api/accounts/password-reset', payload: { email: 'grace@example.test' } })
    const link = await linkFrom('grace@example.test', '/account/reset-password')
    const token = new URLSearchParams(link.split('?')[1]).get('token')!
    expect((await t.app.inject({ url: link })).body).toContain('type="password"')

    const mismatch = await t.app.inject({ method: 'POST', url: '/account/reset-password', ...form({ token, password: 'a new long password', confirm: 'another one entirely' }) })
    expect(mismatch.statusCode).toBe(400)
    expect(mismatch.body).toContain('The two passwords differ')
    expect(mismatch.body).toContain(`value="${token}"`)
    const short = await t.app.inject({ method: 'POST', url: '/account/reset-password', ...form({ token, password: 'short', confirm: 'short' }) })
    expect(short.statusCode).toBe(400)

    const done = await t.app.inject({ method: 'POST', url: '/account/reset-password', ...form({ token, password: 'a new long password', confirm: 'a new long password' }) })
    expect(done.statusCode).toBe(200)
    expect((await signIn('grace')).status).toBe(401)
    expect((await signIn('grace', 'a new long password')).status).toBe(200)
    const old = await t.app.inject({ url: '/api/account', cookies: { candor_session: before.cookie! } })
    expect(old.statusCode).toBe(401)
  })
})

describe('accepting an invitation', () => {
  it('needs the invited account signed in, and a form from our own pages', async () => {
    await t.addSite('shop.test')
    const site = await t.app.sites.get('shop.test')
    await register('alan', 'alan@example.test')
    await t.app.inject({ method: 'POST', url: '/account/verify', ...form({ token: new URLSearchParams((await linkFrom('alan@example.test', '/account/verify')).split('?')[1]).get('token')! }) })
    await t.app.sites.staff.invite(site, 'alan@example.test', 'viewer', null, 'en')
    const link = await linkFrom('alan@example.test', '/account/invitation')
    const token = new URLSearchParams(link.split('?')[1]).get('token')!

    const anonymous = await t.app.inject({ url: link })
    expect(anonymous.body).toContain('Sign in to Candor')
    expect(anonymous.body).not.toContain('<form')

    const { cookie, csrf } = await signIn('alan')
    const page = await t.app.inject({ url: link, cookies: { candor_session: cookie! } })
    expect(page.body).toContain(`value="${csrf}"`)

    const foreign = await t.app.inject({ method: 'POST', url: '/account/invitation', cookies: { candor_session: cookie! }, ...form({ token, csrf }, { origin: 'https://evil.example' }) })
    expect(foreign.statusCode).toBe(403)
    const noToken = await t.app.inject({ method: 'POST', url: '/account/invitation', cookies: { candor_session: cookie! }, ...form({ token, csrf: 'x' }) })
    expect(noToken.statusCode).toBe(403)
    expect(await t.app.sites.roleOf((await t.app.accounts.findByEmail('alan@example.test'))!.id, site.id)).toBeNull()

    const done = await t.app.inject({ method: 'POST', url: '/account/invitation', cookies: { candor_session: cookie! }, ...form({ token, csrf }) })
    expect(done.statusCode).toBe(200)
    expect(done.body).toContain('You are now on the staff of shop.test (viewer)')
  })
})

it('keeps url-encoded bodies to these pages: the JSON API refuses them', async () => {
  const response = await t.app.inject({ method: 'POST', url: '/api/accounts/login', ...form({ identifier: 'ada', password: PASSWORD }) })
  expect(response.statusCode).toBe(415)
})
