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

const zones = new Map<string, boolean>()

/**
 * An IANA zone name (Europe/Berlin, Asia/Kolkata, UTC). Asked of ICU rather than matched against
 * Intl.supportedValuesOf, which lists only canonical names (Node 20 has Asia/Calcutta, not Kolkata).
 */
export function isTimeZone(input: string): boolean {
  let known = zones.get(input)
  if (known === undefined) {
    // Spelled as IANA spells it (Europe/Berlin, not europe/berlin), so one zone has one name.
    known = /^[A-Z][A-Za-z0-9_+-]*(\/[A-Z][A-Za-z0-9_+-]*){0,2}$/.test(input)
    if (known) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: input })
      } catch {
        known = false
      }
    }
    if (zones.size < 1000) zones.set(input, known)
  }
  return known
}

export function parseTimeZone(input: string, field = 'timezone'): string {
  if (!isTimeZone(input)) throw badRequest(`"${input}" is not an IANA time zone such as Europe/Berlin`, field)
  return input
}

export const RETENTION_DAYS = { min: 1, max: 36_500 } as const

export function parseRetention(days: number, field = 'retentionDays'): number {
  if (!Number.isInteger(days) || days < RETENTION_DAYS.min || days > RETENTION_DAYS.max) {
    throw badRequest(`retention must be a whole number of days from ${RETENTION_DAYS.min} to ${RETENTION_DAYS.max}`, field)
  }
  return days
}

const within = (hostname: string, domain: string) => hostname === domain || hostname.endsWith(`.${domain}`)

/**
 * Whether a page's hostname belongs to a site: its domain, its aliases, and their subdomains.
 * `hostname` is lower-case without a trailing dot (callers on the ingest path have it so already).
 */
export function servesHostname(site: { readonly domain: string; readonly aliases: readonly string[] }, hostname: string): boolean {
  return within(hostname, site.domain) || site.aliases.some((alias) => within(hostname, alias))
}
