/**
 * The banner's cookie work: the one first-party cookie that remembers the decision (necessary
 * storage, DESIGN.md "Privacy model"), and deleting the cookies of refused services.
 */
import type { StoredConsent } from './protocol.ts'

const NAME = 'candor_consent'
const doc = document

/** The stored decision, or null when there is none or it is unreadable (then it is asked again). */
export function readStored(): StoredConsent | null {
  const found = /(?:^|; )candor_consent=([^;]*)/.exec(doc.cookie)
  try {
    const stored = found && (JSON.parse(decodeURIComponent(found[1]!)) as StoredConsent)
    return stored && stored.id && Array.isArray(stored.categories) ? stored : null
  } catch {
    return null
  }
}

export function writeStored(stored: StoredConsent, days: number): void {
  doc.cookie =
    NAME + '=' + encodeURIComponent(JSON.stringify(stored)) + ';path=/;max-age=' + days * 864e2 + ';samesite=lax' +
    (location.protocol == 'https:' ? ';secure' : '')
}

/**
 * Deletes every cookie matching a name or a `prefix*`. A script may have set it on this host or on
 * any parent domain (Google Analytics puts `_ga` on the registrable domain), and a cookie can only
 * be deleted with the domain it was set with, so each is tried; the path is the one trackers use.
 */
export function deleteCookies(patterns: string[]): void {
  const labels = location.hostname.split('.')
  for (const pair of doc.cookie.split('; ')) {
    const name = pair.split('=')[0]!
    if (!patterns.some((pattern) => (pattern.slice(-1) == '*' ? name.indexOf(pattern.slice(0, -1)) == 0 : name == pattern))) continue
    // i = 0: the host-only cookie; then the host itself and each parent but the top-level label
    for (let i = 0; i < labels.length; i++) {
      doc.cookie = name + '=;path=/;max-age=0' + (i ? ';domain=' + labels.slice(i - 1).join('.') : '')
    }
  }
}
