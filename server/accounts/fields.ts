// What a name, an email address, a login and a password must look like, checked beyond the route
// schemas (which bound lengths) with messages that say what to fix.
import { badRequest } from '../errors.ts'

const CONTROL = /[\u0000-\u001f\u007f]/

export function parseName(value: string, field: string): string {
  const name = value.trim().replace(/\s+/g, ' ')
  if (name.length === 0 || name.length > 100 || CONTROL.test(name)) throw badRequest(`${field} must be 1 to 100 characters`, field)
  return name
}

export function parseEmail(value: string, field = 'email'): string {
  const email = value.trim().toLowerCase()
  if (email.length > 254 || !/^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/.test(email)) {
    throw badRequest('email must be an address such as name@example.com', field)
  }
  return email
}

export function parseLogin(value: string, field = 'login'): string {
  const login = value.trim()
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$/.test(login)) {
    throw badRequest('login must be 3 to 32 letters, digits, dots, dashes or underscores, starting with a letter or digit', field)
  }
  return login
}

export function checkPassword(password: string, others: readonly string[], field = 'password'): string {
  if (password.length < 10 || password.length > 256) throw badRequest('password must be 10 to 256 characters', field)
  const lower = password.toLowerCase()
  if (others.some((other) => other && lower === other.toLowerCase())) {
    throw badRequest('password must not be your email address or login', field)
  }
  return password
}
