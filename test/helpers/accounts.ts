// People with an account, made through the real API: register, read the confirmation mail from
// the in-process SMTP capture, confirm, sign in, and get an agent that sends the session cookie,
// this installation's Origin and the CSRF token the way the dashboard does.
import type { LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import type { User } from '../../server/accounts/index.ts'
import { SESSION_COOKIE } from '../../server/auth/index.ts'
import type { CapturedMail } from '../../server/email/index.ts'
import type { TestApp } from './app.ts'

export { SESSION_COOKIE }
/** Not a password anyone would choose, and easy to search for in logs and responses. */
export const PASSWORD = 'correct-horse-battery-staple-7'

export interface Person {
  firstName: string
  lastName: string
  email: string
  login: string
  password: string
  language?: 'en' | 'ru'
}

export interface Agent {
  readonly user: User
  readonly person: Person
  /** The session id (the cookie's value). */
  readonly cookie: string
  readonly csrfToken: string
  /** A request with the session cookie, Origin and (on unsafe methods) X-CSRF-Token. */
  request(method: string, url: string, payload?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>
}

let serial = 0
/** A new person whose email and login no one else in the test file has. */
export function newPerson(overrides: Partial<Person> = {}): Person {
  serial += 1
  const tag = `${process.pid}x${serial}`
  return { firstName: 'Ada', lastName: 'Lovelace', email: `ada.${tag}@example.test`, login: `ada_${tag}`, password: PASSWORD, ...overrides }
}

/** The origin of PUBLIC_URL: what a browser on our own pages sends as Origin. */
export const originOf = (t: TestApp) => new URL(t.config.publicUrl).origin

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export function agentFor(t: TestApp, cookie: string, csrfToken: string, user: User, person: Person): Agent {
  return {
    user,
    person,
    cookie,
    csrfToken,
    request(method, url, payload, headers = {}) {
      const upper = method.toUpperCase()
      return t.app.inject({
        method: upper as 'GET',
        url,
        headers: {
          cookie: `${SESSION_COOKIE}=${cookie}`,
          origin: originOf(t),
          ...(UNSAFE.has(upper) ? { 'x-csrf-token': csrfToken } : {}),
          ...headers,
        },
        ...(payload === undefined ? {} : { payload: payload as object }),
      })
    },
  }
}

/** The session id a response set, or null. */
export function sessionCookieOf(response: LightMyRequestResponse): string | null {
  const cookie = response.cookies.find((entry) => entry.name === SESSION_COOKIE)
  return cookie && cookie.value ? cookie.value : null
}

/** Mail that arrives after `since` messages (so an older message to the same address never matches). */
export function nextMail(t: TestApp, match: (mail: CapturedMail) => boolean, since = 0): Promise<CapturedMail> {
  const capture = t.app.mailCapture
  if (!capture) throw new Error('the test app has no mail capture (SMTP_URL is set)')
  return capture.next((mail) => capture.messages.indexOf(mail) >= since && match(mail))
}

export const mailCount = (t: TestApp) => t.app.mailCapture?.messages.length ?? 0

/** The link in a mail (text part), and its token. */
export function linkIn(mail: CapturedMail): { url: URL; token: string } {
  const found = /https?:\/\/[^\s<>"]+/.exec(mail.text)
  if (!found) throw new Error(`no link in the mail "${mail.subject}":\n${mail.text}`)
  const url = new URL(found[0])
  const token = url.searchParams.get('token')
  if (!token) throw new Error(`no token in ${url}`)
  return { url, token }
}

/** The current versions of the privacy policy and the terms, as the registration form sends them. */
export async function currentVersions(t: TestApp): Promise<{ privacy: number; terms: number }> {
  const { privacy, terms } = await t.app.documents.currentVersions()
  return { privacy, terms }
}

/** POST /api/accounts/register with the current versions accepted (unless `accept` says otherwise). */
export async function register(t: TestApp, person: Record<string, unknown> = { ...newPerson() }, accept?: unknown) {
  return t.app.inject({
    method: 'POST',
    url: '/api/accounts/register',
    payload: { ...person, accept: accept ?? (await currentVersions(t)) },
  })
}

/** Registers, and returns the person and the token of the confirmation mail sent to them. */
export async function registerAndReadMail(t: TestApp, overrides: Partial<Person> = {}): Promise<{ person: Person; user: User; token: string; mail: CapturedMail }> {
  const person = newPerson(overrides)
  const since = mailCount(t)
  const response = await register(t, { ...person })
  expect(response.statusCode, response.body).toBe(201)
  const mail = await nextMail(t, (message) => message.to.includes(person.email.toLowerCase()), since)
  return { person, user: response.json() as User, token: linkIn(mail).token, mail }
}

export async function verify(t: TestApp, token: string) {
  return t.app.inject({ method: 'POST', url: '/api/accounts/verify-email', payload: { token } })
}

export async function login(t: TestApp, identifier: string, password: string, ip = '198.51.100.10') {
  return t.app.inject({
    method: 'POST',
    url: '/api/accounts/login',
    headers: { 'x-forwarded-for': ip, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' },
    payload: { identifier, password },
  })
}

/** Signs in and returns an agent; the sign-in must succeed. */
export async function signIn(t: TestApp, person: Person, identifier: string = person.login): Promise<Agent> {
  const response = await login(t, identifier, person.password)
  expect(response.statusCode, response.body).toBe(200)
  const cookie = sessionCookieOf(response)
  if (!cookie) throw new Error('login set no session cookie')
  const body = response.json() as { user: User; csrfToken: string }
  return agentFor(t, cookie, body.csrfToken, body.user, person)
}

/** A person who registered through the API, confirmed their address and signed in. */
export async function signUp(t: TestApp, overrides: Partial<Person> = {}): Promise<Agent> {
  const { person, token } = await registerAndReadMail(t, overrides)
  const verified = await verify(t, token)
  expect(verified.statusCode, verified.body).toBe(200)
  return signIn(t, person)
}

/** Accepts the current privacy policy and terms for the agent's account. */
export async function acceptCurrent(t: TestApp, agent: Agent): Promise<void> {
  const response = await agent.request('POST', '/api/account/accept', await currentVersions(t))
  expect(response.statusCode, response.body).toBe(200)
  expect(response.json().pendingAcceptance).toEqual([])
}

/** An account made by the operator (as `candor user create` does), signed in, with the documents accepted. */
export async function createByOperator(t: TestApp, role: 'admin' | 'customer' = 'admin', overrides: Partial<Person> = {}): Promise<Agent> {
  const person = newPerson({ firstName: 'Grace', lastName: 'Hopper', ...overrides })
  await t.app.accounts.createByOperator({ ...person, role })
  const agent = await signIn(t, person)
  await acceptCurrent(t, agent)
  return agent
}

export const createAdmin = (t: TestApp, overrides: Partial<Person> = {}) => createByOperator(t, 'admin', overrides)
