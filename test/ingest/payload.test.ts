// normalize(): Candor's tracker payload, Plausible's tracker keys and Plausible's Events API map
// onto one IncomingEvent; what the schema cannot express (props, revenue, domains) is checked
// here with a 400 that names the field; consented-tier fields count only with `c`.
import { Value } from 'typebox/value'
import { describe, expect, it } from 'vitest'
import { HttpError } from '../../server/errors.ts'
import { EventPayload, normalize } from '../../server/ingest/payload.ts'

const base = { n: 'pageview', u: 'https://shop.test/', d: 'shop.test' } satisfies EventPayload

/** The 400 normalize throws for `body`. */
function refusal(body: EventPayload): HttpError {
  try {
    normalize(body)
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError)
    expect((error as HttpError).statusCode).toBe(400)
    return error as HttpError
  }
  throw new Error(`normalize accepted ${JSON.stringify(body)}`)
}

describe('formats', () => {
  it('reads the tracker format', () => {
    const event = normalize({
      n: 'Signup',
      u: 'https://shop.test/#/cart',
      d: 'shop.test',
      r: ' https://www.google.com/ ',
      h: 1,
      p: { plan: 'pro' },
      i: false,
    })
    expect(event).toMatchObject({
      name: 'Signup',
      domains: ['shop.test'],
      referrer: 'https://www.google.com/',
      hashMode: true,
      interactive: false,
      props: { plan: 'pro' },
      revenue: null,
      timezone: '',
      language: '',
      consent: false,
      screen: null,
      fonts: [],
      daysSinceFirstVisit: null,
    })
    expect(event.url).toBeInstanceOf(URL)
    expect(event.url.href).toBe('https://shop.test/#/cart')
  })

  it('reads the Plausible Events API format', () => {
    const event = normalize({
      name: 'Purchase',
      url: 'https://shop.test/checkout',
      domain: 'shop.test',
      referrer: 'https://news.ycombinator.com/',
      props: { plan: 'pro' },
      revenue: { amount: 10, currency: 'usd' },
      interactive: false,
    })
    expect(event).toMatchObject({
      name: 'Purchase',
      domains: ['shop.test'],
      referrer: 'https://news.ycombinator.com/',
      hashMode: false,
      interactive: false,
      props: { plan: 'pro' },
      revenue: { amount: '10.0000', currency: 'USD' },
    })
    expect(event.url.pathname).toBe('/checkout')
  })

  it('defaults: interactive, no hash mode, empty referrer (null too), trimmed name', () => {
    const event = normalize({ ...base, n: '  pageview ', r: null })
    expect(event).toMatchObject({ name: 'pageview', interactive: true, hashMode: false, referrer: '', props: {} })
    expect(normalize({ ...base, h: true }).hashMode).toBe(true)
    expect(normalize({ ...base, h: 0 }).hashMode).toBe(false)
    expect(normalize({ ...base, h: false }).hashMode).toBe(false)
  })

  it('takes the tracker keys when both formats are present', () => {
    const event = normalize({ ...base, name: 'other', url: 'https://else.test/', domain: 'else.test' })
    expect(event.name).toBe('pageview')
    expect(event.url.hostname).toBe('shop.test')
    expect(event.domains).toEqual(['shop.test'])
  })

  it('splits a comma-separated domain list, spelled as sites are stored', () => {
    expect(normalize({ ...base, d: 'Shop.Test, blog.test.,,' }).domains).toEqual(['shop.test', 'blog.test'])
    expect(normalize({ ...base, d: 'bücher.de' }).domains).toEqual(['xn--bcher-kva.de'])
  })

  it('refuses a domain that is not a hostname, naming the field', () => {
    for (const d of ['a\u0000.com', 'shop.test/path', 'http://shop.test', 'a b.test']) expect(refusal({ ...base, d }).field).toBe('domain')
  })

  it('names the missing field of an incomplete event', () => {
    expect(refusal({ u: 'https://shop.test/', d: 'shop.test' }).field).toBe('n')
    expect(refusal({ n: 'pageview', d: 'shop.test' }).field).toBe('u')
    expect(refusal({ n: 'pageview', u: 'https://shop.test/' }).field).toBe('d')
  })

  it('wants an absolute http(s) URL', () => {
    for (const u of ['/relative', 'not a url', 'ftp://shop.test/file', 'javascript:alert(1)']) {
      expect(refusal({ ...base, u }).field).toBe('url')
    }
    expect(normalize({ ...base, u: 'http://shop.test/' }).url.protocol).toBe('http:')
  })

  it('wants one to ten domains', () => {
    expect(refusal({ ...base, d: ' , ' }).field).toBe('domain')
    const eleven = Array.from({ length: 11 }, (_, i) => `s${i}.test`).join(',')
    expect(refusal({ ...base, d: eleven }).field).toBe('domain')
    const ten = Array.from({ length: 10 }, (_, i) => `s${i}.test`).join(',')
    expect(normalize({ ...base, d: ten }).domains).toHaveLength(10)
  })
})

describe('props', () => {
  it('accepts an object, turning numbers and booleans into strings and skipping empty values', () => {
    const event = normalize({ ...base, p: { plan: 'pro', seats: 3, trial: false, ratio: 0.5, none: null, blank: '' } })
    expect(event.props).toEqual({ plan: 'pro', seats: '3', trial: 'false', ratio: '0.5' })
  })

  it('accepts a JSON object string (older Plausible trackers), under p, props or m', () => {
    expect(normalize({ ...base, p: '{"plan":"pro","seats":3}' }).props).toEqual({ plan: 'pro', seats: '3' })
    expect(normalize({ ...base, props: '{"plan":"pro"}' }).props).toEqual({ plan: 'pro' })
    expect(normalize({ ...base, m: '{"plan":"pro"}' }).props).toEqual({ plan: 'pro' })
  })

  it('refuses a string that is not a JSON object, naming the field it came in', () => {
    for (const p of ['{not json', '[1,2]', 'null', '42', '"text"']) {
      const error = refusal({ ...base, p })
      expect(error.field).toBe('p')
      expect(error.message).toMatch(/object/)
    }
    expect(refusal({ ...base, props: '[1]' }).field).toBe('props')
  })

  it('refuses nested values', () => {
    expect(refusal({ ...base, p: '{"a":{"b":1}}' }).message).toMatch(/prop "a" must be a string, number or boolean/)
    expect(refusal({ ...base, p: '{"a":[1]}' }).field).toBe('p')
  })

  it('keeps the limits: 30 props, names of 1 to 300 characters, values up to 2000', () => {
    const props = (count: number) => JSON.stringify(Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 'v'])))
    expect(Object.keys(normalize({ ...base, p: props(30) }).props)).toHaveLength(30)
    expect(refusal({ ...base, p: props(31) }).message).toMatch(/at most 30 props/)
    expect(refusal({ ...base, p: '{"":"v"}' }).message).toMatch(/1 to 300 characters/)
    expect(refusal({ ...base, p: { ['k'.repeat(301)]: 'v' } }).field).toBe('p')
    expect(normalize({ ...base, p: { ['k'.repeat(300)]: 'v'.repeat(2000) } }).props['k'.repeat(300)]).toHaveLength(2000)
    expect(refusal({ ...base, p: JSON.stringify({ long: 'v'.repeat(2001) }) }).message).toMatch(/longer than 2000/)
  })
})

describe('revenue', () => {
  it('writes a number or a decimal string as a 4-decimal string and upper-cases the currency', () => {
    expect(normalize({ ...base, $: { amount: 19.99, currency: 'eur' } }).revenue).toEqual({ amount: '19.9900', currency: 'EUR' })
    expect(normalize({ ...base, $: { amount: '19.99', currency: 'Usd' } }).revenue).toEqual({ amount: '19.9900', currency: 'USD' })
    expect(normalize({ ...base, $: { amount: 5, currency: 'RUB' } }).revenue).toEqual({ amount: '5.0000', currency: 'RUB' })
    expect(normalize({ ...base, $: { amount: '-2.5', currency: 'EUR' } }).revenue).toEqual({ amount: '-2.5000', currency: 'EUR' })
    expect(normalize({ ...base, revenue: { amount: '0.0001', currency: 'gbp' } }).revenue).toEqual({ amount: '0.0001', currency: 'GBP' })
  })

  it('reads revenue sent as a JSON string under $', () => {
    expect(normalize({ ...base, $: '{"amount":"7.5","currency":"chf"}' }).revenue).toEqual({ amount: '7.5000', currency: 'CHF' })
  })

  it('keeps every digit of a decimal string the schema accepts (Decimal64(4) holds 18 digits)', () => {
    // The schema allows 14 integer and 4 fraction digits; a double holds about 15-16, so parsing
    // the string into a number changes the amount (…4.5678 becomes …4.5684).
    expect(normalize({ ...base, $: { amount: '12345678901234.5678', currency: 'EUR' } }).revenue).toEqual({
      amount: '12345678901234.5678',
      currency: 'EUR',
    })
    expect(normalize({ ...base, $: { amount: '99999999999999.9999', currency: 'EUR' } }).revenue?.amount).toBe('99999999999999.9999')
  })

  it('drops leading zeros, so the amount stays a JSON number in the spool', () => {
    expect(normalize({ ...base, $: { amount: '007', currency: 'EUR' } }).revenue).toEqual({ amount: '7.0000', currency: 'EUR' })
    expect(normalize({ ...base, $: { amount: '-00.5', currency: 'EUR' } }).revenue).toEqual({ amount: '-0.5000', currency: 'EUR' })
    expect(normalize({ ...base, $: { amount: '000', currency: 'EUR' } }).revenue).toEqual({ amount: '0.0000', currency: 'EUR' })
    expect(() => JSON.parse(`[${normalize({ ...base, $: { amount: '0012', currency: 'EUR' } }).revenue!.amount}]`)).not.toThrow()
  })

  it('refuses a non-numeric amount, a huge one, a bad currency, and unparsable JSON', () => {
    expect(refusal({ ...base, $: { amount: 'ten', currency: 'EUR' } }).field).toBe('revenue.amount')
    expect(refusal({ ...base, $: { amount: 1e14, currency: 'EUR' } }).field).toBe('revenue.amount')
    expect(refusal({ ...base, $: { amount: Number.NaN, currency: 'EUR' } }).field).toBe('revenue.amount')
    expect(refusal({ ...base, $: { amount: 1, currency: 'EURO' } }).field).toBe('revenue.currency')
    expect(refusal({ ...base, $: { amount: 1, currency: '€' } }).field).toBe('revenue.currency')
    expect(refusal({ ...base, $: '{broken' }).field).toBe('revenue')
    expect(refusal({ ...base, $: '{"amount":1}' }).field).toBe('revenue.currency')
  })
})

describe('consented-tier fields', () => {
  const extras = { sw: 1920, sh: 1080, dpr: 2, f: ['Arial', 'Helvetica', 'Arial'], rv: 12 }

  it('are ignored without c', () => {
    for (const c of [undefined, 0, false] as const) {
      const event = normalize({ ...base, ...extras, ...(c === undefined ? {} : { c }) })
      expect(event).toMatchObject({ consent: false, screen: null, fonts: [], daysSinceFirstVisit: null })
    }
  })

  it('are read with c: 1 or c: true; fonts de-duplicated; pixel ratio defaults to 1', () => {
    for (const c of [1, true] as const) {
      expect(normalize({ ...base, ...extras, c })).toMatchObject({
        consent: true,
        screen: { width: 1920, height: 1080, pixelRatio: 2 },
        fonts: ['Arial', 'Helvetica'],
        daysSinceFirstVisit: 12,
      })
    }
    expect(normalize({ ...base, c: 1, sw: 390, sh: 844 }).screen).toEqual({ width: 390, height: 844, pixelRatio: 1 })
    expect(normalize({ ...base, c: 1, sw: 390 }).screen).toBeNull()
    expect(normalize({ ...base, c: 1, rv: 0 }).daysSinceFirstVisit).toBe(0)
  })

  it("keep only fonts of the tracker's fixed list", () => {
    expect(normalize({ ...base, c: 1, f: ['Arial', 'my-secret-font', 'DejaVu Sans', 'x'.repeat(60)] }).fonts).toEqual(['Arial', 'DejaVu Sans'])
  })
})

describe('time zone and language (both tiers)', () => {
  it('keeps valid values and drops invalid ones to an empty string', () => {
    expect(normalize({ ...base, tz: 'Europe/Berlin', l: 'de-DE' })).toMatchObject({ timezone: 'Europe/Berlin', language: 'de-DE' })
    expect(normalize({ ...base, tz: 'UTC', l: 'ru' })).toMatchObject({ timezone: 'UTC', language: 'ru' })
    expect(normalize({ ...base, l: 'zh-Hant-TW' }).language).toBe('zh-Hant-TW')
    for (const tz of ['Mars/Olympus', 'Europe/Nowhere', '+02:00', '../etc/passwd', '']) expect(normalize({ ...base, tz }).timezone).toBe('')
    for (const l of ['not a language', 'e', 'en_US', '<script>', 'en-']) expect(normalize({ ...base, l }).language).toBe('')
  })
})

describe('the schema (checked by the route before normalize)', () => {
  it('accepts both formats and refuses unknown fields and over-long values', () => {
    expect(Value.Check(EventPayload, base)).toBe(true)
    expect(Value.Check(EventPayload, { name: 'x', url: 'https://a.test/', domain: 'a.test', revenue: { amount: '1.5', currency: 'EUR' } })).toBe(true)
    expect(Value.Check(EventPayload, { ...base, ip: '1.2.3.4' })).toBe(false)
    expect(Value.Check(EventPayload, { ...base, n: 'x'.repeat(121) })).toBe(false)
    expect(Value.Check(EventPayload, { ...base, u: `https://shop.test/${'a'.repeat(2048)}` })).toBe(false)
    expect(Value.Check(EventPayload, { ...base, p: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, 'v'])) })).toBe(false)
    expect(Value.Check(EventPayload, { ...base, $: { amount: '1.23456', currency: 'EUR' } })).toBe(false)
    expect(Value.Check(EventPayload, { ...base, n: 42 })).toBe(false)
  })
})
