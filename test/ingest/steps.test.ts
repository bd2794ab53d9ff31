// Each enrichment step of the ingest pipeline on its own, with real parts: ua-parser-js and isbot,
// a SitesService and SaltStore on PGlite, the referrer list, and the GeoLite2/ASN databases.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migratePostgres } from '../../server/db/migrate.ts'
import { openPGlite, type Postgres } from '../../server/db/postgres.ts'
import { HttpError } from '../../server/errors.ts'
import { defaultGeoPaths, openGeo, type Geo } from '../../server/ingest/geo/index.ts'
import { normalize, type EventPayload } from '../../server/ingest/payload.ts'
import { newDraft, runPipeline, type Draft, type RequestFacts } from '../../server/ingest/pipeline.ts'
import { SaltStore } from '../../server/ingest/salts.ts'
import { Identity, LocalDays, visitorHash } from '../../server/ingest/steps/identity.ts'
import { locate } from '../../server/ingest/steps/location.ts'
import { cleanPage } from '../../server/ingest/steps/page.ts'
import { checkHostname, resolveSite } from '../../server/ingest/steps/site.ts'
import { attributeSource, knownSource } from '../../server/ingest/steps/source.ts'
import { decideTier } from '../../server/ingest/steps/tier.ts'
import { rejectBots, UserAgentCache } from '../../server/ingest/steps/user-agent.ts'
import { distDir } from '../../server/paths.ts'
import { startMailCapture, type MailCapture } from '../../server/email/capture.ts'
import { createMailer } from '../../server/email/mailer.ts'
import { SitesService, type Site } from '../../server/sites/index.ts'
import { CHROME, FIREFOX, IPHONE } from '../helpers/app.ts'

const IPAD =
  'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1'
const ANDROID =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36'
const MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15'

/** 2024-03-10 12:00 UTC */
const NOON = Date.parse('2024-03-10T12:00:00Z')

const SHOP: Site = Object.freeze({
  id: 7,
  domain: 'shop.test',
  aliases: Object.freeze(['localhost', 'shop-staging.example']),
  timezone: 'Europe/Berlin',
  retentionDays: 730,
  publicDashboard: false,
  publicPasswordSet: false,
  createdAt: '2024-01-01T00:00:00.000Z',
})

function draftOf(payload: Partial<EventPayload> = {}, request: Partial<RequestFacts> = {}, domain?: string): Draft {
  const event = normalize({ n: 'pageview', u: 'https://shop.test/', d: 'shop.test', ...payload })
  const facts: RequestFacts = { ip: '81.2.69.160', userAgent: CHROME, gpc: false, receivedAt: NOON, ...request }
  return newDraft(event, facts, domain ?? event.domains[0]!)
}

/** A draft for SHOP that has passed the site and tier steps, as the later steps expect. */
function siteDraft(payload: Partial<EventPayload> = {}, request: Partial<RequestFacts> = {}): Draft {
  const draft = draftOf(payload, request)
  draft.site = SHOP
  expect(checkHostname.run(draft)).toBeUndefined()
  expect(decideTier.run(draft)).toBeUndefined()
  return draft
}

let pg: Postgres
let pgDir: string
let sites: SitesService
let geo: Geo
let mail: MailCapture

beforeAll(async () => {
  pgDir = mkdtempSync(join(tmpdir(), 'candor-steps-'))
  pg = await openPGlite(pgDir)
  await migratePostgres(pg)
  mail = await startMailCapture(null)
  sites = new SitesService(pg, createMailer(mail.url, 'candor@example.test'), 'http://localhost:8080')
  geo = await openGeo(defaultGeoPaths(distDir))
})

afterAll(async () => {
  await mail?.close()
  geo?.close()
  await pg?.close()
  rmSync(pgDir, { recursive: true, force: true })
})

describe('user agent: rejectBots and UserAgentCache', () => {
  it('drops crawlers, automation and an empty user agent as bots', async () => {
    const step = rejectBots(new UserAgentCache())
    const bots = [
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
      'curl/8.5.0',
      'python-requests/2.31.0',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
      'Mozilla/5.0 (Linux; Android 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse',
      `${CHROME} PhantomJS/2.1.1`,
      `${CHROME} selenium`,
      '',
    ]
    for (const userAgent of bots) {
      const draft = draftOf({}, { userAgent })
      expect(await step.run(draft), userAgent).toBe('bot')
      expect(draft.userAgent.bot).toBe(true)
      expect(draft.userAgent.browser).toBe('')
    }
  })

  it('lets browsers through with browser, OS and device', async () => {
    const step = rejectBots(new UserAgentCache())
    const expected: Array<[string, Record<string, unknown>]> = [
      [CHROME, { browser: 'Chrome', browserVersion: '131.0.0.0', browserMajor: '131', os: 'Linux', osVersion: '', osMajor: '', device: 'Desktop' }],
      [FIREFOX, { browser: 'Firefox', browserVersion: '133.0', browserMajor: '133', os: 'Windows', osVersion: '10', osMajor: '10', device: 'Desktop' }],
      [MAC, { browser: 'Safari', browserVersion: '17.4', browserMajor: '17', os: 'Mac OS', osVersion: '10.15.7', osMajor: '10', device: 'Desktop' }],
      [IPHONE, { browser: 'Mobile Safari', browserVersion: '17.5', browserMajor: '17', os: 'iOS', osVersion: '17.5', osMajor: '17', device: 'Mobile' }],
      [ANDROID, { browser: 'Chrome', browserVersion: '131.0.6778.39', browserMajor: '131', os: 'Android', osVersion: '14', osMajor: '14', device: 'Mobile' }],
      [IPAD, { browser: 'Mobile Safari', browserMajor: '16', os: 'iOS', osMajor: '16', device: 'Tablet' }],
    ]
    for (const [userAgent, info] of expected) {
      const draft = draftOf({}, { userAgent })
      expect(await step.run(draft), userAgent).toBeUndefined()
      expect(draft.userAgent).toMatchObject({ bot: false, ...info })
    }
  })

  it('answers a repeated user agent from the cache', () => {
    const cache = new UserAgentCache()
    const first = cache.get(FIREFOX)
    expect(cache.get(FIREFOX)).toBe(first)
    expect(cache.get(CHROME)).not.toBe(first)
  })

  it('evicts the oldest entry when full, and still answers it correctly afterwards', () => {
    const cache = new UserAgentCache(2)
    const chrome = cache.get(CHROME)
    const firefox = cache.get(FIREFOX)
    cache.get(IPHONE) // evicts CHROME, the oldest
    expect(cache.get(FIREFOX)).toBe(firefox)
    const again = cache.get(CHROME)
    expect(again).not.toBe(chrome)
    expect(again).toEqual(chrome)
  })

  it('parses only the first 1024 characters of a very long user agent', () => {
    const cache = new UserAgentCache()
    const padded = `${CHROME}${' x'.repeat(2000)}`
    expect(cache.get(padded)).toMatchObject({ bot: false, browser: 'Chrome', browserMajor: '131' })
  })
})

describe('site: resolveSite and checkHostname', () => {
  let shop: Site

  beforeAll(async () => {
    shop = await sites.add({ domain: 'shop.test', aliases: ['localhost', 'shop-staging.example'], timezone: 'Europe/Berlin' })
  })

  it('finds the site the event names', async () => {
    const draft = draftOf()
    expect(await resolveSite(sites).run(draft)).toBeUndefined()
    expect(draft.site).toEqual(shop)
  })

  it('finds it whatever case the page wrote the domain in', async () => {
    const draft = draftOf({ d: 'SHOP.Test' })
    expect(await resolveSite(sites).run(draft)).toBeUndefined()
    expect(draft.site.id).toBe(shop.id)
  })

  it('drops an event for a site nobody added', async () => {
    const draft = draftOf({ d: 'nobody.test', u: 'https://nobody.test/' })
    expect(await resolveSite(sites).run(draft)).toBe('unknown_site')
  })

  it('finds a site at once after the same service added it, though it had cached the miss', async () => {
    // The "unknown" answer is cached, so traffic for junk domains does not reach Postgres.
    expect(await sites.find('later.test')).toBeNull()
    await sites.add({ domain: 'later.test' })
    // add() refreshes the cache of the service that added it.
    expect((await sites.find('later.test'))?.domain).toBe('later.test')
  })

  it('accepts the domain, its subdomains, its aliases and their subdomains', () => {
    const accepted: Array<[string, string]> = [
      ['https://shop.test/', 'shop.test'],
      ['https://www.shop.test/', 'www.shop.test'],
      ['https://a.b.shop.test/x', 'a.b.shop.test'],
      ['https://SHOP.TEST/', 'shop.test'],
      ['https://shop.test./', 'shop.test'],
      ['http://localhost:3000/', 'localhost'],
      ['https://shop-staging.example/', 'shop-staging.example'],
      ['https://eu.shop-staging.example/', 'eu.shop-staging.example'],
    ]
    for (const [u, hostname] of accepted) {
      const draft = draftOf({ u })
      draft.site = shop
      expect(checkHostname.run(draft), u).toBeUndefined()
      expect(draft.hostname).toBe(hostname)
    }
  })

  it('drops pages of other hostnames, look-alikes included', () => {
    for (const u of [
      'https://evil.test/',
      'https://myshop.test/',
      'https://shop.test.evil.com/',
      'https://shop.tester/',
      'https://notlocalhost/',
      'http://127.0.0.1/',
    ]) {
      const draft = draftOf({ u })
      draft.site = shop
      expect(checkHostname.run(draft), u).toBe('foreign_hostname')
      expect(draft.hostname).toBe('')
    }
  })
})

describe('tier: decideTier', () => {
  it('is consented only with the page consent and without Global Privacy Control', () => {
    const consented = draftOf({ c: 1 })
    expect(decideTier.run(consented)).toBeUndefined()
    expect(consented.consented).toBe(true)

    const withGpc = draftOf({ c: 1 }, { gpc: true })
    expect(decideTier.run(withGpc)).toBeUndefined()
    expect(withGpc.consented).toBe(false)

    const anonymous = draftOf()
    expect(decideTier.run(anonymous)).toBeUndefined()
    expect(anonymous.consented).toBe(false)
  })

  it('drops consented-only events in the anonymous tier (GPC included) and keeps the rest', () => {
    for (const n of ['Click', 'Form: Submission']) {
      expect(decideTier.run(draftOf({ n })), n).toBe('not_consented')
      expect(decideTier.run(draftOf({ n, c: 1 }, { gpc: true })), `${n} with GPC`).toBe('not_consented')
      expect(decideTier.run(draftOf({ n, c: 1 })), `${n} with consent`).toBeUndefined()
    }
    for (const n of ['pageview', 'Outbound Link: Click', 'File Download', 'Signup']) {
      expect(decideTier.run(draftOf({ n })), n).toBeUndefined()
    }
  })
})

describe('page: cleanPage', () => {
  const page = (payload: Partial<EventPayload>) => {
    const draft = draftOf(payload)
    expect(cleanPage.run(draft)).toBeUndefined()
    return draft.pathname
  }

  it('drops the query string and the fragment', () => {
    expect(page({ u: 'https://shop.test/products/lamp?utm_source=x&email=a@b.c#reviews' })).toBe('/products/lamp')
    expect(page({ u: 'https://shop.test' })).toBe('/')
    expect(page({ u: 'https://shop.test/a/#/route' })).toBe('/a/')
  })

  it('keeps the route of a hash-routed app, without the route query', () => {
    expect(page({ u: 'https://shop.test/#/products/lamp', h: 1 })).toBe('/#/products/lamp')
    expect(page({ u: 'https://shop.test/app#/cart?coupon=SECRET', h: 1 })).toBe('/app#/cart')
    expect(page({ u: 'https://shop.test/app?x=1#', h: 1 })).toBe('/app')
    expect(page({ u: 'https://shop.test/app', h: 1 })).toBe('/app')
    // Parameters in the fragment are not a route: tokens and values never reach the path.
    expect(page({ u: 'https://shop.test/cb#access_token=SECRET&state=1', h: 1 })).toBe('/cb#access_token')
    expect(page({ u: 'https://shop.test/app#/a&b=SECRET', h: 1 })).toBe('/app#/a')
  })

  it('decodes percent-encoded characters and leaves malformed sequences alone', () => {
    expect(page({ u: 'https://shop.test/caf%C3%A9/%D0%BA%D0%BE%D1%82' })).toBe('/café/кот')
    expect(page({ u: 'https://shop.test/a b' })).toBe('/a b')
    expect(page({ u: 'https://shop.test/%E0%A4%A' })).toBe('/%E0%A4%A')
    expect(page({ u: 'https://shop.test/#/caf%C3%A9', h: 1 })).toBe('/#/café')
  })

  it('caps the path at 2000 characters', () => {
    expect(page({ u: `https://shop.test/${'a'.repeat(2020)}` })).toBe(`/${'a'.repeat(1999)}`)
  })
})

describe('source: knownSource', () => {
  it('names known referrers, trying parent domains', () => {
    expect(knownSource('www.google.com', '/search')).toBe('Google')
    expect(knownSource('google.com')).toBe('Google')
    expect(knownSource('m.facebook.com')).toBe('Facebook')
    expect(knownSource('l.facebook.com')).toBe('Facebook')
    expect(knownSource('news.ycombinator.com')).toBe('Hacker News')
    expect(knownSource('WWW.Google.COM')).toBe('Google')
    expect(knownSource('t.co')).toBe('Twitter')
  })

  it('honours path-specific entries, longest path first', () => {
    expect(knownSource('bing.com', '/images/search')).toBe('Bing Images')
    expect(knownSource('www.bing.com', '/images/search')).toBe('Bing Images')
    expect(knownSource('www.bing.com', '/search')).toBe('Bing')
    expect(knownSource('bing.com')).toBe('Bing')
  })

  it('knows nothing of unlisted hosts and bare labels', () => {
    expect(knownSource('example.com')).toBeNull()
    expect(knownSource('localhost')).toBeNull()
    expect(knownSource('newsletter')).toBeNull()
  })
})

describe('source: attributeSource', () => {
  const attribute = (payload: Partial<EventPayload>, request: Partial<RequestFacts> = {}) => {
    const draft = siteDraft(payload, request)
    expect(attributeSource.run(draft)).toBeUndefined()
    return draft.source
  }
  const none = {
    referrerSource: '', referrerDomain: '', referrer: '',
    utmSource: '', utmMedium: '', utmCampaign: '', utmContent: '', utmTerm: '',
  }

  it('classifies the referrer and keeps only its domain in the anonymous tier', () => {
    expect(attribute({ r: 'https://www.google.com/search?q=lamp' })).toEqual({
      ...none, referrerSource: 'Google', referrerDomain: 'google.com', referrer: '',
    })
    expect(attribute({ r: 'https://m.facebook.com/story.php?id=1' })).toMatchObject({ referrerSource: 'Facebook', referrerDomain: 'm.facebook.com' })
    expect(attribute({ r: 'https://www.bing.com/images/search?q=lamp' })).toMatchObject({ referrerSource: 'Bing Images', referrerDomain: 'bing.com' })
    expect(attribute({ r: 'https://blog.example.org/post?id=1' })).toMatchObject({ referrerSource: 'blog.example.org', referrerDomain: 'blog.example.org' })
  })

  it('keeps the full referrer for the consented tier, never its query string or fragment', () => {
    const source = attribute({ c: 1, r: 'https://blog.example.org/posts/lamps?token=SECRET#top' })
    expect(source).toMatchObject({ referrer: 'https://blog.example.org/posts/lamps', referrerDomain: 'blog.example.org' })
    expect(JSON.stringify(source)).not.toContain('SECRET')
    // GPC makes it anonymous again.
    expect(attribute({ c: 1, r: 'https://blog.example.org/posts/lamps' }, { gpc: true }).referrer).toBe('')
    // Only web addresses are kept whole.
    expect(attribute({ c: 1, r: 'android-app://com.google.android.gm/' })).toMatchObject({ referrer: '', referrerDomain: 'com.google.android.gm' })
  })

  it('ignores a referrer from the same site (www or not)', () => {
    expect(attribute({ c: 1, r: 'https://shop.test/previous?x=1' })).toEqual(none)
    expect(attribute({ u: 'https://www.shop.test/', r: 'https://shop.test/' })).toEqual(none)
    expect(attribute({ r: 'https://www.shop.test/' })).toEqual(none)
  })

  it('ignores a referrer that is not a URL', () => {
    expect(attribute({ r: 'not a url' })).toEqual(none)
  })

  it('reads utm_* and lets utm_source, ?ref= or ?source= name the source', () => {
    expect(
      attribute({
        u: 'https://shop.test/?utm_source=newsletter&utm_medium=email&utm_campaign=winter&utm_content=hero&utm_term=lamp',
        r: 'https://www.google.com/',
      }),
    ).toEqual({
      referrerSource: 'newsletter',
      referrerDomain: 'google.com',
      referrer: '',
      utmSource: 'newsletter',
      utmMedium: 'email',
      utmCampaign: 'winter',
      utmContent: 'hero',
      utmTerm: 'lamp',
    })
    expect(attribute({ u: 'https://shop.test/?ref=producthunt' }).referrerSource).toBe('producthunt')
    expect(attribute({ u: 'https://shop.test/?source=podcast' }).referrerSource).toBe('podcast')
    // A tag that is a known host is named like a referrer.
    expect(attribute({ u: 'https://shop.test/?ref=news.ycombinator.com' }).referrerSource).toBe('Hacker News')
    expect(attribute({ u: 'https://shop.test/?utm_source=%20%20' }).referrerSource).toBe('')
    // ?ref= and ?source= are ordinary parameters: only a source-like name is taken from them.
    expect(attribute({ u: 'https://shop.test/?ref=someone@example.com' }).referrerSource).toBe('')
    expect(attribute({ u: 'https://shop.test/?source=a%2Fb%3Fc' }).referrerSource).toBe('')
  })

  it('clips utm values to 300 characters', () => {
    expect(attribute({ u: `https://shop.test/?utm_campaign=${'c'.repeat(400)}` }).utmCampaign).toHaveLength(300)
  })
})

describe('location: locate with the real GeoLite2 and ASN data', () => {
  it('keeps country and region only in the anonymous tier', () => {
    const draft = siteDraft()
    expect(locate(geo).run(draft)).toBeUndefined()
    expect(draft.location).toEqual({ countryCode: 'GB', region: 'England', city: '', asn: 0, isp: '' })
  })

  it('adds city and ISP for the consented tier', () => {
    const draft = siteDraft({ c: 1 })
    locate(geo).run(draft)
    expect(draft.location).toEqual({ countryCode: 'GB', region: 'England', city: 'Bracknell', asn: 20712, isp: 'Andrews & Arnold Ltd' })
  })

  it('treats GPC as the anonymous tier', () => {
    const draft = siteDraft({ c: 1 }, { gpc: true })
    locate(geo).run(draft)
    expect(draft.location).toMatchObject({ countryCode: 'GB', city: '', asn: 0, isp: '' })
  })

  it('leaves everything empty for private and malformed addresses', () => {
    for (const ip of ['10.0.0.1', '::1', 'garbage']) {
      const draft = siteDraft({ c: 1 }, { ip })
      locate(geo).run(draft)
      expect(draft.location, ip).toEqual({ countryCode: '', region: '', city: '', asn: 0, isp: '' })
    }
  })
})

describe('identity: visitorHash, LocalDays and the Identity step', () => {
  const salt = Buffer.alloc(32, 1)
  const otherSalt = Buffer.alloc(32, 2)

  it('is a decimal 64-bit number, the same for the same (salt, site, ip, user agent)', () => {
    const hash = visitorHash(salt, 1, '203.0.113.7', CHROME)
    expect(hash).toMatch(/^\d{1,20}$/)
    expect(BigInt(hash) < 2n ** 64n).toBe(true)
    expect(visitorHash(Buffer.alloc(32, 1), 1, '203.0.113.7', CHROME)).toBe(hash)
  })

  it('differs when any input differs', () => {
    const hash = visitorHash(salt, 1, '203.0.113.7', CHROME)
    const variants = [
      visitorHash(otherSalt, 1, '203.0.113.7', CHROME),
      visitorHash(salt, 2, '203.0.113.7', CHROME),
      visitorHash(salt, 1, '203.0.113.8', CHROME),
      visitorHash(salt, 1, '203.0.113.7', FIREFOX),
      // The fields are separated, so they cannot slide into each other.
      visitorHash(salt, 11, '203.0.113.7', CHROME),
    ]
    expect(new Set([hash, ...variants]).size).toBe(variants.length + 1)
    expect(visitorHash(salt, 1, '1.2.3.4', `5\n${CHROME}`)).not.toBe(visitorHash(salt, 1, '1.2.3.45', CHROME))
  })

  it("gives each time zone's local date, half- and quarter-hour offsets included", () => {
    const days = new LocalDays()
    const at = (iso: string) => Date.parse(iso)
    // Asia/Kolkata is UTC+5:30: its midnight is 18:30 UTC.
    expect(days.day('Asia/Kolkata', at('2024-03-10T18:29:59.999Z'))).toBe('2024-03-10')
    expect(days.day('Asia/Kolkata', at('2024-03-10T18:30:00.000Z'))).toBe('2024-03-11')
    // Asia/Kathmandu is UTC+5:45.
    expect(days.day('Asia/Kathmandu', at('2024-03-10T18:14:59Z'))).toBe('2024-03-10')
    expect(days.day('Asia/Kathmandu', at('2024-03-10T18:15:00Z'))).toBe('2024-03-11')
    // America/St_Johns is UTC-3:30 in winter, so 03:29 UTC is still yesterday there.
    expect(days.day('America/St_Johns', at('2024-01-15T03:29:00Z'))).toBe('2024-01-14')
    expect(days.day('America/St_Johns', at('2024-01-15T03:30:00Z'))).toBe('2024-01-15')
    // The extremes: UTC+14 and UTC-12.
    expect(days.day('Pacific/Kiritimati', at('2024-03-10T10:00:00Z'))).toBe('2024-03-11')
    expect(days.day('Etc/GMT+12', at('2024-03-10T11:59:00Z'))).toBe('2024-03-09')
    expect(days.day('UTC', at('2024-03-10T23:59:59Z'))).toBe('2024-03-10')
  })

  it('answers from its per-minute cache without mixing up zones or minutes', () => {
    const days = new LocalDays()
    const before = Date.parse('2024-03-10T18:29:30Z')
    expect(days.day('Asia/Kolkata', before)).toBe('2024-03-10')
    expect(days.day('UTC', before)).toBe('2024-03-10')
    expect(days.day('Asia/Kolkata', before + 29_000)).toBe('2024-03-10')
    expect(days.day('Asia/Kolkata', before + 30_000)).toBe('2024-03-11')
    expect(days.day('UTC', before + 30_000)).toBe('2024-03-10')
    // Going back in time recomputes too.
    expect(days.day('Asia/Kolkata', before)).toBe('2024-03-10')
  })

  describe('Identity with a SaltStore on PGlite', () => {
    let salts: SaltStore
    let identity: Identity

    beforeAll(async () => {
      salts = new SaltStore(pg)
      await salts.refresh(NOON)
      identity = new Identity(salts)
    })

    const identified = (request: Partial<RequestFacts> = {}, site: Site = SHOP) => {
      const draft = draftOf({}, request)
      draft.site = site
      expect(identity.step.run(draft)).toBeUndefined()
      return draft
    }

    it("hashes with the salt of the site's local date", () => {
      // 23:30 UTC on 10 March is already 11 March in Berlin.
      const draft = identified({ receivedAt: Date.parse('2024-03-10T23:30:00Z') })
      expect(draft.localDay).toBe('2024-03-11')
      expect(draft.visitorId).toBe(visitorHash(salts.get('2024-03-11')!, SHOP.id, '81.2.69.160', CHROME))
    })

    it('is stable within a day and differs across days, sites, addresses and user agents', () => {
      const morning = identified({ receivedAt: Date.parse('2024-03-10T08:00:00Z') }).visitorId
      expect(identified({ receivedAt: Date.parse('2024-03-10T20:00:00Z') }).visitorId).toBe(morning)
      expect(identified({ receivedAt: Date.parse('2024-03-11T08:00:00Z') }).visitorId).not.toBe(morning)
      expect(identified({ receivedAt: Date.parse('2024-03-10T08:00:00Z') }, { ...SHOP, id: 8 }).visitorId).not.toBe(morning)
      expect(identified({ receivedAt: Date.parse('2024-03-10T08:00:00Z'), ip: '81.2.69.161' }).visitorId).not.toBe(morning)
      expect(identified({ receivedAt: Date.parse('2024-03-10T08:00:00Z'), userAgent: FIREFOX }).visitorId).not.toBe(morning)
    })

    it("finds yesterday's hash of the same visitor while that salt exists", () => {
      const yesterday = identified({ receivedAt: Date.parse('2024-03-10T22:50:00Z') }) // 23:50 in Berlin
      const today = identified({ receivedAt: Date.parse('2024-03-10T23:05:00Z') }) // 00:05 on the 11th
      expect(today.localDay).toBe('2024-03-11')
      expect(today.visitorId).not.toBe(yesterday.visitorId)
      expect(identity.previousVisitorId(today, 1800)).toBe(yesterday.visitorId)
      // The salts made at noon on the 10th cover the 9th to the 12th: the 8th has none.
      const early = identified({ receivedAt: Date.parse('2024-03-08T23:05:00Z') }) // 00:05 on the 9th
      expect(identity.previousVisitorId(early, 1800)).toBeNull()
      // Past the first half hour of the day, no visit from yesterday can still be open.
      const noon = identified({ receivedAt: Date.parse('2024-03-11T11:00:00Z') })
      expect(identity.previousVisitorId(noon, 1800)).toBeNull()
    })

    it('refuses with 503 when the salt of the date does not exist', () => {
      const draft = draftOf({}, { receivedAt: Date.parse('2030-01-01T12:00:00Z') })
      draft.site = SHOP
      let error: unknown
      try {
        identity.step.run(draft)
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(HttpError)
      expect(error).toMatchObject({ statusCode: 503, headers: { 'retry-after': '60' } })
      expect(draft.visitorId).toBe('')
    })
  })
})

describe('the steps in order', () => {
  it('turn a consented event into an enriched draft', async () => {
    const salts = new SaltStore(pg)
    await salts.refresh(NOON)
    const draft = draftOf(
      { c: 1, u: 'https://www.shop.test/lamp?utm_campaign=spring#top', r: 'https://www.google.com/search?q=lamp' },
      { userAgent: IPHONE },
    )
    const steps = [
      rejectBots(new UserAgentCache()),
      resolveSite(sites),
      checkHostname,
      decideTier,
      cleanPage,
      attributeSource,
      locate(geo),
      new Identity(salts).step,
    ]
    expect(await runPipeline(steps, draft)).toBeUndefined()
    expect(draft).toMatchObject({
      consented: true,
      hostname: 'www.shop.test',
      pathname: '/lamp',
      userAgent: { browser: 'Mobile Safari', device: 'Mobile' },
      source: { referrerSource: 'Google', referrerDomain: 'google.com', referrer: 'https://www.google.com/search', utmCampaign: 'spring' },
      location: { countryCode: 'GB', city: 'Bracknell' },
      localDay: '2024-03-10',
    })
    expect(draft.visitorId).toMatch(/^\d+$/)
  })

  it('stop at the first step that drops', async () => {
    const draft = draftOf({ u: 'https://evil.test/' }, { userAgent: '' })
    expect(await runPipeline([rejectBots(new UserAgentCache()), resolveSite(sites), checkHostname], draft)).toBe('bot')
    expect(draft.site.id).toBe(0)
  })
})
