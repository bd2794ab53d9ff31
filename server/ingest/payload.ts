// What POST /api/event accepts: Candor's tracker payload, Plausible's tracker short keys and
// Plausible's Events API (name, url, domain, …), so sites moving from Plausible keep their
// integrations. `normalize` turns any of them into one IncomingEvent.
import { Type, type Static } from 'typebox'
import { badRequest } from '../errors.ts'
import { canonicalHostname, isTimeZone } from '../sites/index.ts'
import { FONTS } from '../../tracker/fonts.ts'

const Url = Type.String({ minLength: 1, maxLength: 2048 })
const Name = Type.String({ minLength: 1, maxLength: 120 })
const DomainList = Type.String({ minLength: 1, maxLength: 1000, description: 'Site domain; several separated by commas' })
const Referrer = Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])
const PropValue = Type.Union([Type.String({ maxLength: 2000 }), Type.Number(), Type.Boolean(), Type.Null()])
const Props = Type.Union([
  Type.Record(Type.String(), PropValue, { maxProperties: 30 }),
  Type.String({ maxLength: 8000, description: 'Props as a JSON object string (older Plausible trackers)' }),
])
const Revenue = Type.Object(
  {
    amount: Type.Union([Type.Number(), Type.String({ pattern: '^-?\\d{1,14}(\\.\\d{1,4})?$' })]),
    currency: Type.String({ pattern: '^[A-Za-z]{3}$' }),
  },
  { additionalProperties: false },
)
const Flag = Type.Union([Type.Literal(1), Type.Literal(0), Type.Boolean()])

export const EventPayload = Type.Object(
  {
    // Candor and Plausible trackers
    n: Type.Optional(Name),
    u: Type.Optional(Url),
    d: Type.Optional(DomainList),
    r: Type.Optional(Referrer),
    h: Type.Optional(Flag),
    p: Type.Optional(Props),
    m: Type.Optional(Props),
    $: Type.Optional(Type.Union([Revenue, Type.String({ maxLength: 200 })])),
    w: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535 })),
    i: Type.Optional(Type.Boolean()),
    // Plausible Events API
    name: Type.Optional(Name),
    url: Type.Optional(Url),
    domain: Type.Optional(DomainList),
    referrer: Type.Optional(Referrer),
    props: Type.Optional(Props),
    revenue: Type.Optional(Revenue),
    interactive: Type.Optional(Type.Boolean()),
    // Candor extensions: both tiers
    tz: Type.Optional(Type.String({ maxLength: 64 })),
    l: Type.Optional(Type.String({ maxLength: 35 })),
    // Candor extensions: consented tier only (ignored without c)
    c: Type.Optional(Flag),
    sw: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535 })),
    sh: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535 })),
    dpr: Type.Optional(Type.Number({ minimum: 0, maximum: 20 })),
    f: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 })),
    rv: Type.Optional(Type.Integer({ minimum: 0, maximum: 36_500 })),
  },
  {
    additionalProperties: false,
    $id: 'EventPayload',
    description:
      'A tracker event ({n, u, d, …}) or a Plausible Events API event ({name, url, domain, …}).',
  },
)
export type EventPayload = Static<typeof EventPayload>

export interface Revenue {
  /** Decimal string with up to four fraction digits. */
  readonly amount: string
  readonly currency: string
}

export interface IncomingEvent {
  readonly name: string
  readonly url: URL
  readonly domains: readonly string[]
  readonly referrer: string
  readonly hashMode: boolean
  /** False for events that should not affect the bounce rate (Plausible's `interactive: false`). */
  readonly interactive: boolean
  readonly props: Readonly<Record<string, string>>
  readonly revenue: Revenue | null
  readonly timezone: string
  readonly language: string
  /** The page says the visitor granted analytics consent (the server still honours GPC). */
  readonly consent: boolean
  readonly screen: { readonly width: number; readonly height: number; readonly pixelRatio: number } | null
  readonly fonts: readonly string[]
  readonly daysSinceFirstVisit: number | null
}

const MAX_PROPS = 30
const KNOWN_FONTS = new Set(FONTS)
const MAX_PROP_KEY = 300

function parseProps(raw: EventPayload['p'], field: string): Record<string, string> {
  if (raw === undefined) return {}
  let object: unknown = raw
  if (typeof raw === 'string') {
    try {
      object = JSON.parse(raw)
    } catch {
      throw badRequest('props must be an object or a JSON object string', field)
    }
    if (object === null || typeof object !== 'object' || Array.isArray(object)) {
      throw badRequest('props must be an object or a JSON object string', field)
    }
  }
  const props: Record<string, string> = {}
  const entries = Object.entries(object as Record<string, unknown>)
  if (entries.length > MAX_PROPS) throw badRequest(`at most ${MAX_PROPS} props per event`, field)
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > MAX_PROP_KEY) throw badRequest(`prop names must have 1 to ${MAX_PROP_KEY} characters`, field)
    if (value === null || value === undefined || value === '') continue
    if (typeof value === 'object') throw badRequest(`prop "${key}" must be a string, number or boolean`, field)
    const text = String(value)
    if (text.length > 2000) throw badRequest(`prop "${key}" is longer than 2000 characters`, field)
    props[key] = text
  }
  return props
}

function parseRevenue(raw: EventPayload['$'] | EventPayload['revenue']): Revenue | null {
  if (raw === undefined) return null
  let revenue: unknown = raw
  if (typeof raw === 'string') {
    try {
      revenue = JSON.parse(raw)
    } catch {
      throw badRequest('revenue must be {amount, currency}', 'revenue')
    }
  }
  const { amount, currency } = (revenue ?? {}) as { amount?: unknown; currency?: unknown }
  let decimal: string | null = null
  if (typeof amount === 'string' && /^-?\d{1,14}(\.\d{1,4})?$/.test(amount)) {
    // Kept as text: a float would round the last digits of large amounts. Leading zeros go:
    // the amount is written into the spool as a JSON number, where 007 is not one.
    const [whole = '', fraction = ''] = amount.split('.')
    decimal = `${whole.replace(/^(-?)0+(?=\d)/, '$1')}.${fraction.padEnd(4, '0')}`
  } else if (typeof amount === 'number' && Number.isFinite(amount) && Math.abs(amount) < 1e14) {
    decimal = amount.toFixed(4)
  }
  if (decimal === null) throw badRequest('revenue amount must be a number with at most 14 digits before the point and 4 after', 'revenue.amount')
  if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency)) {
    throw badRequest('revenue currency must be an ISO 4217 code such as EUR', 'revenue.currency')
  }
  return { amount: decimal, currency: currency.toUpperCase() }
}

const on = (flag: EventPayload['h']) => flag === 1 || flag === true

/** Checks what the schema cannot express and maps both formats onto one shape. */
export function normalize(body: EventPayload): IncomingEvent {
  const name = body.n ?? body.name
  const rawUrl = body.u ?? body.url
  const domain = body.d ?? body.domain
  if (name === undefined || rawUrl === undefined || domain === undefined) {
    const missing = name === undefined ? 'n' : rawUrl === undefined ? 'u' : 'd'
    throw badRequest(
      `an event needs a name, a url and a domain: {n, u, d} from a tracker or {name, url, domain} from the Events API`,
      missing,
    )
  }
  let url: URL
  try {
    url = new URL(rawUrl)
  } catch {
    throw badRequest('url must be an absolute http(s) URL', 'url')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('url must be an absolute http(s) URL', 'url')
  const named = domain.split(',').map((part) => part.trim()).filter(Boolean)
  if (named.length === 0 || named.length > 10) throw badRequest('domain must name one to ten sites', 'domain')
  // Spelled as sites are stored: lower case, punycode, no trailing dot.
  const domains = named.map((part) => {
    const hostname = canonicalHostname(part)
    if (hostname === null) throw badRequest(`"${part}" is not a domain name`, 'domain')
    return hostname
  })
  const consent = on(body.c)
  const screen =
    consent && body.sw !== undefined && body.sh !== undefined
      ? { width: body.sw, height: body.sh, pixelRatio: body.dpr ?? 1 }
      : null
  return {
    name: name.trim(),
    url,
    domains,
    referrer: (body.r ?? body.referrer ?? '').trim(),
    hashMode: on(body.h),
    interactive: body.i ?? body.interactive ?? true,
    props: parseProps(body.p ?? body.props ?? body.m, body.props !== undefined ? 'props' : 'p'),
    revenue: parseRevenue(body.$ ?? body.revenue),
    timezone: body.tz !== undefined && isTimeZone(body.tz) ? body.tz : '',
    language: body.l !== undefined && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/.test(body.l) ? body.l : '',
    consent,
    screen,
    // Only names from the tracker's fixed list: anything else a page sends is dropped.
    fonts: consent && body.f ? [...new Set(body.f)].filter((font) => KNOWN_FONTS.has(font)) : [],
    daysSinceFirstVisit: consent && body.rv !== undefined ? body.rv : null,
  }
}
