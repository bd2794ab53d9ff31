// What counts as a site domain or a hostname alias, and its one canonical spelling.
import { domainToASCII } from 'node:url'
import { badRequest } from '../errors.ts'

const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

/** Lower-case ASCII (punycode) form of a hostname, or null when it is not one. */
export function canonicalHostname(input: string): string | null {
  const trimmed = input.trim().replace(/\.$/, '')
  if (!trimmed || /[\s/:?#@]/.test(trimmed)) return null
  const ascii = domainToASCII(trimmed.toLowerCase())
  if (!ascii || ascii.length > 253) return null
  const labels = ascii.split('.')
  return labels.every((part) => label.test(part)) ? ascii : null
}

/** A site domain: a hostname with at least two labels and a non-numeric top-level label. */
export function parseSiteDomain(input: string, field = 'domain'): string {
  const hostname = canonicalHostname(input)
  if (hostname === null || !hostname.includes('.') || /^\d+$/.test(hostname.split('.').pop()!)) {
    throw badRequest(`"${input}" is not a domain name such as example.com (no scheme, path or port)`, field)
  }
  return hostname
}

/** An extra hostname counted for a site: any hostname, including localhost for development. */
export function parseAlias(input: string, field = 'aliases'): string {
  const hostname = canonicalHostname(input)
  if (hostname === null) throw badRequest(`"${input}" is not a hostname`, field)
  return hostname
}

const zones = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC'])

export const isTimeZone = (input: string) => zones.has(input)

export function parseTimeZone(input: string, field = 'timezone'): string {
  if (!zones.has(input)) throw badRequest(`"${input}" is not an IANA time zone such as Europe/Berlin`, field)
  return input
}
