// JSON requests to our own API with the login session: the cookie goes along by itself, and
// requests that change something carry the session's CSRF token (from GET /api/account).
export class ApiError extends Error {
  readonly status: number
  /** the server's machine-readable code, e.g. `not_found` */
  readonly error: string
  readonly field?: string
  constructor(status: number, error: string, message: string, field?: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.error = error
    if (field !== undefined) this.field = field
  }
}

export interface SessionUser {
  id: number
  firstName: string
  lastName: string
  email: string
  login: string
  role: 'admin' | 'customer'
  language: string
  emailVerified: boolean
  createdAt: string
}

export interface Session {
  user: SessionUser
  csrfToken: string
  pendingAcceptance: Array<{ kind: string; version: number }>
}

import { store } from './store.ts'

/** The session as last known: undefined until asked, null when no one is signed in. */
export const sessionStore = store<Session | null | undefined>(undefined)
let cached: Session | null | undefined
let loading: Promise<Session | null> | undefined

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'

async function request(method: Method, path: string, body: unknown, csrf: string | undefined): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf
  return fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? null : JSON.stringify(body),
  })
}

async function failure(response: Response): Promise<ApiError> {
  let parsed: { error?: unknown; message?: unknown; field?: unknown } = {}
  try {
    parsed = (await response.json()) as typeof parsed
  } catch {
    // not JSON: a proxy's page; the status says enough
  }
  const error = typeof parsed.error === 'string' ? parsed.error : `http_${response.status}`
  const message = typeof parsed.message === 'string' ? parsed.message : response.statusText
  return new ApiError(response.status, error, message, typeof parsed.field === 'string' ? parsed.field : undefined)
}

/** The signed-in person and the CSRF token, or null when no one is signed in. Asked once, then cached. */
export async function session(refresh = false): Promise<Session | null> {
  if (refresh) {
    cached = undefined
    loading = undefined
  }
  if (cached !== undefined) return cached
  loading ??= (async () => {
    const response = await request('GET', '/api/account', undefined, undefined)
    if (response.status === 401) return null
    if (!response.ok) throw await failure(response)
    return (await response.json()) as Session
  })()
  try {
    cached = await loading
    sessionStore.set(cached)
    return cached
  } finally {
    loading = undefined
  }
}

/** Remembers a session the login answer returned, or forgets it (null) after logout. */
export function setSession(value: Session | null): void {
  cached = value
  sessionStore.set(value)
}

/** A JSON request; 204 answers undefined; a failure throws ApiError with the server's message. */
export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  let csrf: string | undefined
  if (method !== 'GET') csrf = (await session().catch(() => null))?.csrfToken
  const response = await request(method, path, body, csrf)
  if (!response.ok) {
    if (response.status === 401 && cached) setSession(null)
    throw await failure(response)
  }
  if (response.status === 204 || response.headers.get('content-length') === '0') return undefined as T
  const text = await response.text()
  return (text ? JSON.parse(text) : undefined) as T
}

/** A request whose answer is a file (the CSV export): the body as a Blob. */
export async function apiBlob(method: Method, path: string, body?: unknown): Promise<Blob> {
  const csrf = method !== 'GET' ? (await session().catch(() => null))?.csrfToken : undefined
  const response = await request(method, path, body, csrf)
  if (!response.ok) throw await failure(response)
  return response.blob()
}

/** Offers a blob to the person as a file download. */
export function saveBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
