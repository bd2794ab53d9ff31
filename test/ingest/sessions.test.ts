// SessionTracker and the spool lines of rows.ts: a visit is a +1 sessions row, replaced on each
// event by a cancel (-1, the previous row exactly) and a new +1 with the next version; 30 minutes
// of inactivity, midnight crossing, tier changes. And the daily salts of salts.ts in Postgres.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migratePostgres } from '../../server/db/migrate.ts'
import { openPGlite, openPool, type Postgres } from '../../server/db/postgres.ts'
import { defaultGeoPaths, openGeo, type Geo } from '../../server/ingest/geo/index.ts'
import { normalize, type EventPayload } from '../../server/ingest/payload.ts'
import { newDraft, runPipeline, type Draft, type RequestFacts } from '../../server/ingest/pipeline.ts'
import { MAX_VISIT_PAGES, SPOOL_TABLES } from '../../server/ingest/rows.ts'
import { SaltStore, saltExpired } from '../../server/ingest/salts.ts'
import { SESSION_TIMEOUT_SECONDS, SessionTracker, type PreviousDay } from '../../server/ingest/sessions.ts'
import { visitorHash } from '../../server/ingest/steps/identity.ts'
import { locate } from '../../server/ingest/steps/location.ts'
import { cleanPage } from '../../server/ingest/steps/page.ts'
import { checkHostname } from '../../server/ingest/steps/site.ts'
import { attributeSource } from '../../server/ingest/steps/source.ts'
import { decideTier } from '../../server/ingest/steps/tier.ts'
import { rejectBots, UserAgentCache } from '../../server/ingest/steps/user-agent.ts'
import { distDir } from '../../server/paths.ts'
import type { Site } from '../../server/sites/index.ts'
import { FIREFOX } from '../helpers/app.ts'
import { createTemporaryDatabase, explainSkip, serverUrl, type TemporaryDatabase } from '../helpers/postgres.ts'

const SHOP: Site = Object.freeze({
  id: 3,
  domain: 'shop.test',
  aliases: Object.freeze([]),
  timezone: 'UTC',
  retentionDays: 90,
  publicDashboard: false,
  publicPasswordSet: false,
  createdAt: '2024-01-01T00:00:00.000Z',
})
const SALT = Buffer.alloc(32, 7)
/** 2024-03-10 12:00:00 UTC, in seconds. */
const T0 = Date.parse('2024-03-10T12:00:00Z') / 1000
const GB_IP = '81.2.69.160'

let geo: Geo
beforeAll(async () => {
  geo = await openGeo(defaultGeoPaths(distDir))
})
afterAll(() => geo?.close())

/** No visit crosses midnight unless a test says so. */
const noYesterday: PreviousDay = { previousVisitorId: () => null }

interface Options {
  at?: number
  ip?: string
  userAgent?: string
  gpc?: boolean
  visitorId?: string
  site?: Site
}

/** An event enriched by the real steps (site given, visitor hash from a fixed salt). */
async function enriched(payload: Partial<EventPayload> = {}, options: Options = {}): Promise<Draft> {
  const event = normalize({ n: 'pageview', u: 'https://shop.test/', d: 'shop.test', ...payload })
  const request: RequestFacts = {
    ip: options.ip ?? GB_IP,
    userAgent: options.userAgent ?? FIREFOX,
    gpc: options.gpc ?? false,
    receivedAt: (options.at ?? T0) * 1000,
  }
  const draft = newDraft(event, request, 'shop.test')
  draft.site = options.site ?? SHOP
  const steps = [rejectBots(new UserAgentCache()), checkHostname, decideTier, cleanPage, attributeSource, locate(geo)]
  expect(await runPipeline(steps, draft)).toBeUndefined()
  draft.localDay = new Date(request.receivedAt).toISOString().slice(0, 10)
  draft.visitorId = options.visitorId ?? visitorHash(SALT, draft.site.id, request.ip, request.userAgent)
  return draft
}

interface Line {
  tag: string
  /** The JSON text after the tag. */
  raw: string
  /** The row by column name, with the 64-bit ids read as strings so that no digit is lost. */
  row: Record<string, any>
}

/** The exact digits of the ids, which JSON.parse would round: sessions rows start with them, events rows carry them before the visit columns. */
function exactIds(tag: string, raw: string): { visitor_id: string; session_id: string } {
  if (tag === 'V') {
    const match = /^\[-?1,\d+,(\d+),(\d+),/.exec(raw)
    expect(match, raw).not.toBeNull()
    return { session_id: match![1]!, visitor_id: match![2]! }
  }
  const match = /,(?:null|-?\d+(?:\.\d+)?),(\d+),(\d+),\d+,"(?:anonymous|consented)"/.exec(raw)
  expect(match, raw).not.toBeNull()
  return { visitor_id: match![1]!, session_id: match![2]! }
}

/** Splits spool output into lines, each a tag and one JSON array in its table's column order; checks the framing. */
function parse(output: string): Line[] {
  expect(output.endsWith('\n')).toBe(true)
  return output
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const tag = line.slice(0, 1)
      const raw = line.slice(1)
      expect(['E', 'V']).toContain(tag)
      expect(() => JSON.parse(raw), raw).not.toThrow()
      const values = JSON.parse(raw) as unknown[]
      const columns = SPOOL_TABLES[tag as 'E' | 'V'].columns
      expect(values).toHaveLength(columns.length)
      const row: Record<string, any> = Object.fromEntries(columns.map((column, index) => [column, values[index]]))
      // 64-bit ids are bare JSON numbers, never strings.
      Object.assign(row, exactIds(tag, raw))
      return { tag, raw, row }
    })
}

const sessionRows = (lines: Line[]) => lines.filter((line) => line.tag === 'V')
const eventRows = (lines: Line[]) => lines.filter((line) => line.tag === 'E')
const cancelOf = (plus: Line) => plus.raw.replace(/^\[1,/, '[-1,')

describe('a visit as sessions rows', () => {
  it('starts with an events row and one +1 sessions row', async () => {
    const tracker = new SessionTracker(noYesterday)
    const draft = await enriched({ u: 'https://shop.test/landing' })
    const lines = parse(tracker.record(draft))
    expect(lines.map((line) => line.tag)).toEqual(['E', 'V'])
    const [event, session] = lines as [Line, Line]
    expect(session.row).toMatchObject({
      sign: 1,
      version: 1,
      visitor_id: draft.visitorId,
      start: T0,
      timestamp: T0,
      hostname: 'shop.test',
      entry_page: '/landing',
      exit_page: '/landing',
      pageviews: 1,
      events: 1,
      duration: 0,
      is_bounce: 1,
      site_id: SHOP.id,
      retention_days: 90,
    })
    expect(session.row.session_id).toMatch(/^[1-9]\d*$/)
    expect(event.row).toMatchObject({
      timestamp: T0,
      name: 'pageview',
      pathname: '/landing',
      visitor_id: draft.visitorId,
      session_id: session.row.session_id,
      revenue_amount: null,
    })
    expect(tracker.size).toBe(1)
  })

  it('lists the distinct paths of its events once each, custom events included, at most MAX_VISIT_PAGES', async () => {
    const tracker = new SessionTracker(noYesterday)
    expect(sessionRows(parse(tracker.record(await enriched({ u: 'https://shop.test/a' }))))[0]!.row.pages).toEqual(['/a'])
    tracker.record(await enriched({ u: 'https://shop.test/b' }, { at: T0 + 10 }))
    tracker.record(await enriched({ u: 'https://shop.test/a' }, { at: T0 + 20 }))
    const [cancel, , plus] = parse(tracker.record(await enriched({ n: 'Signup', u: 'https://shop.test/signup' }, { at: T0 + 30 }))) as [Line, Line, Line]
    // the cancel row repeats the state it cancels; the new state adds the custom event's path
    expect(cancel.row.pages).toEqual(['/a', '/b'])
    expect(plus.row.pages).toEqual(['/a', '/b', '/signup'])
    let last = ''
    for (let i = 0; i < MAX_VISIT_PAGES; i++) last = tracker.record(await enriched({ u: `https://shop.test/p${i}` }, { at: T0 + 40 + i }))
    const pages = sessionRows(parse(last)).at(-1)!.row.pages as string[]
    expect(pages).toHaveLength(MAX_VISIT_PAGES)
    expect(pages.slice(0, 4)).toEqual(['/a', '/b', '/signup', '/p0'])
    expect(pages).not.toContain(`/p${MAX_VISIT_PAGES - 1}`)
  })

  it('cancels the previous row exactly and writes the next version on each event', async () => {
    const tracker = new SessionTracker(noYesterday)
    const first = parse(tracker.record(await enriched({ u: 'https://shop.test/a' })))
    const second = parse(tracker.record(await enriched({ u: 'https://shop.test/b' }, { at: T0 + 60 })))
    expect(second.map((line) => line.tag)).toEqual(['V', 'E', 'V'])
    const [cancel, , plus] = second as [Line, Line, Line]
    expect(cancel.raw).toBe(cancelOf(sessionRows(first)[0]!))
    expect(plus.row).toMatchObject({
      sign: 1,
      version: 2,
      session_id: sessionRows(first)[0]!.row.session_id,
      start: T0,
      timestamp: T0 + 60,
      entry_page: '/a',
      exit_page: '/b',
      pageviews: 2,
      events: 2,
      duration: 60,
      is_bounce: 0,
    })

    const third = parse(tracker.record(await enriched({ n: 'Signup', u: 'https://shop.test/c' }, { at: T0 + 100 })))
    expect(third[0]!.raw).toBe(cancelOf(plus))
    expect(sessionRows(third)[1]!.row).toMatchObject({ version: 3, pageviews: 2, events: 3, exit_page: '/b', duration: 100 })
    expect(tracker.size).toBe(1)
  })

  it('sums to one live visit: +1, then (-1, +1) pairs', async () => {
    const tracker = new SessionTracker(noYesterday)
    let all: Line[] = []
    for (let i = 0; i < 5; i++) all = all.concat(parse(tracker.record(await enriched({}, { at: T0 + i * 10 }))))
    const signs = sessionRows(all).map((line) => line.row.sign as number)
    expect(signs.reduce((a, b) => a + b, 0)).toBe(1)
    expect(eventRows(all)).toHaveLength(5)
    expect(new Set(all.map((line) => line.row.session_id)).size).toBe(1)
  })

  describe('bounce', () => {
    const lastSession = (lines: Line[]) => sessionRows(lines).at(-1)!.row

    it('one pageview is a bounce; a second pageview is not', async () => {
      const tracker = new SessionTracker(noYesterday)
      expect(lastSession(parse(tracker.record(await enriched())))).toMatchObject({ is_bounce: 1 })
      expect(lastSession(parse(tracker.record(await enriched({ u: 'https://shop.test/2' }, { at: T0 + 5 }))))).toMatchObject({ is_bounce: 0 })
    })

    it('a non-interactive event (i: false) keeps the bounce; an interactive one ends it', async () => {
      const tracker = new SessionTracker(noYesterday)
      tracker.record(await enriched())
      const passive = lastSession(parse(tracker.record(await enriched({ n: 'Scroll Depth', i: false }, { at: T0 + 5 }))))
      expect(passive).toMatchObject({ is_bounce: 1, events: 2, pageviews: 1 })
      const plausiblePassive = lastSession(
        parse(tracker.record(await enriched({ name: 'Video Play', url: 'https://shop.test/', domain: 'shop.test', interactive: false, n: undefined }, { at: T0 + 6 }))),
      )
      expect(plausiblePassive).toMatchObject({ is_bounce: 1, events: 3 })
      const active = lastSession(parse(tracker.record(await enriched({ n: 'Signup' }, { at: T0 + 10 }))))
      expect(active).toMatchObject({ is_bounce: 0, events: 4, pageviews: 1 })
    })

    it('a visit of one interactive custom event is no bounce', async () => {
      const tracker = new SessionTracker(noYesterday)
      expect(lastSession(parse(tracker.record(await enriched({ n: 'Signup' }))))).toMatchObject({ is_bounce: 0, pageviews: 0 })
    })
  })

  it('keeps the latest time when events arrive out of order', async () => {
    const tracker = new SessionTracker(noYesterday)
    tracker.record(await enriched({}, { at: T0 }))
    tracker.record(await enriched({}, { at: T0 + 120 }))
    const late = sessionRows(parse(tracker.record(await enriched({}, { at: T0 + 30 }))))[1]!.row
    expect(late).toMatchObject({ start: T0, timestamp: T0 + 120, duration: 120, version: 3 })
  })

  it('keeps separate visits for separate visitors and sites', async () => {
    const tracker = new SessionTracker(noYesterday)
    const a = sessionRows(parse(tracker.record(await enriched({}, { visitorId: '1001' }))))[0]!.row
    const b = sessionRows(parse(tracker.record(await enriched({}, { visitorId: '1002' }))))[0]!.row
    const c = sessionRows(parse(tracker.record(await enriched({}, { visitorId: '1001', site: { ...SHOP, id: 4 } }))))[0]!.row
    expect(new Set([a.session_id, b.session_id, c.session_id]).size).toBe(3)
    expect([a.version, b.version, c.version]).toEqual([1, 1, 1])
    expect(tracker.size).toBe(3)
  })
})

describe('30 minutes of inactivity', () => {
  it('continue a visit up to the timeout and start a new session after it', async () => {
    expect(SESSION_TIMEOUT_SECONDS).toBe(1800)
    const tracker = new SessionTracker(noYesterday)
    const first = sessionRows(parse(tracker.record(await enriched())))[0]!.row
    const atTimeout = parse(tracker.record(await enriched({}, { at: T0 + 1800 })))
    expect(sessionRows(atTimeout)[1]!.row).toMatchObject({ session_id: first.session_id, version: 2 })

    const after = parse(tracker.record(await enriched({ u: 'https://shop.test/back' }, { at: T0 + 1800 + 1801 })))
    expect(after.map((line) => line.tag)).toEqual(['E', 'V'])
    const fresh = sessionRows(after)[0]!.row
    expect(fresh.session_id).not.toBe(first.session_id)
    expect(fresh).toMatchObject({ version: 1, sign: 1, start: T0 + 3601, entry_page: '/back', pageviews: 1, duration: 0 })
    expect(eventRows(after)[0]!.row.session_id).toBe(fresh.session_id)
  })

  it('sweep() forgets idle visits; forget() drops one at once', async () => {
    const tracker = new SessionTracker(noYesterday)
    const idle = await enriched({}, { visitorId: '11' })
    tracker.record(idle)
    tracker.record(await enriched({}, { visitorId: '12', at: T0 + 1000 }))
    tracker.sweep(T0 + 1801)
    expect(tracker.size).toBe(1)
    const busy = await enriched({}, { visitorId: '12', at: T0 + 1010 })
    expect(parse(tracker.record(busy))[0]!.row.sign).toBe(-1)
    tracker.forget(busy)
    expect(tracker.size).toBe(0)
    // Nothing cancels a row that was never stored: the next event starts afresh.
    expect(parse(tracker.record(await enriched({}, { visitorId: '12', at: T0 + 1020 }))).map((line) => line.tag)).toEqual(['E', 'V'])
  })
})

describe('crossing midnight', () => {
  const YESTERDAY_HASH = '9000000000000000001'
  const TODAY_HASH = '9000000000000000002'
  const midnight = Date.parse('2024-03-11T00:00:00Z') / 1000
  const yesterdayOf: PreviousDay = {
    previousVisitorId: (draft) => (draft.visitorId === TODAY_HASH ? YESTERDAY_HASH : null),
  }

  it("continues the visit under yesterday's hash when the previous date's hash matches", async () => {
    const tracker = new SessionTracker(yesterdayOf)
    const before = parse(tracker.record(await enriched({ u: 'https://shop.test/late' }, { visitorId: YESTERDAY_HASH, at: midnight - 600 })))
    const visit = sessionRows(before)[0]!
    const after = parse(tracker.record(await enriched({ u: 'https://shop.test/later' }, { visitorId: TODAY_HASH, at: midnight + 300 })))
    expect(after.map((line) => line.tag)).toEqual(['V', 'E', 'V'])
    expect(after[0]!.raw).toBe(cancelOf(visit))
    expect(sessionRows(after)[1]!.row).toMatchObject({
      session_id: visit.row.session_id,
      visitor_id: YESTERDAY_HASH,
      version: 2,
      entry_page: '/late',
      exit_page: '/later',
      duration: 900,
    })
    expect(eventRows(after)[0]!.row).toMatchObject({ visitor_id: YESTERDAY_HASH, session_id: visit.row.session_id })

    // Later events under today's hash find the visit directly.
    const next = parse(tracker.record(await enriched({}, { visitorId: TODAY_HASH, at: midnight + 600 })))
    expect(sessionRows(next)[1]!.row).toMatchObject({ session_id: visit.row.session_id, version: 3 })
    // The 64-bit ids keep every digit.
    expect(next[0]!.raw).toMatch(new RegExp(`^\\[-1,\\d+,\\d+,${YESTERDAY_HASH},`))
  })

  it("starts a new visit when yesterday's salt is gone or yesterday's visit timed out", async () => {
    const noSalt = new SessionTracker(noYesterday)
    noSalt.record(await enriched({}, { visitorId: YESTERDAY_HASH, at: midnight - 60 }))
    const fresh = parse(noSalt.record(await enriched({}, { visitorId: TODAY_HASH, at: midnight + 60 })))
    expect(fresh.map((line) => line.tag)).toEqual(['E', 'V'])
    expect(sessionRows(fresh)[0]!.row).toMatchObject({ visitor_id: TODAY_HASH, version: 1 })

    const stale = new SessionTracker(yesterdayOf)
    stale.record(await enriched({}, { visitorId: YESTERDAY_HASH, at: midnight - 3600 }))
    const later = parse(stale.record(await enriched({}, { visitorId: TODAY_HASH, at: midnight + 60 })))
    expect(later.map((line) => line.tag)).toEqual(['E', 'V'])
    expect(sessionRows(later)[0]!.row.visitor_id).toBe(TODAY_HASH)
  })

  it('forgets a carried visit under both hashes when it goes idle', async () => {
    const tracker = new SessionTracker(yesterdayOf)
    tracker.record(await enriched({}, { visitorId: YESTERDAY_HASH, at: midnight - 60 }))
    tracker.record(await enriched({}, { visitorId: TODAY_HASH, at: midnight + 60 }))
    expect(tracker.size).toBe(2)
    tracker.sweep(midnight + 60 + 1801)
    expect(tracker.size).toBe(0)
  })

  it('forgets a carried visit under both hashes when its rows could not be spooled', async () => {
    const tracker = new SessionTracker(yesterdayOf)
    tracker.record(await enriched({}, { visitorId: YESTERDAY_HASH, at: midnight - 60 }))
    const carried = await enriched({}, { visitorId: TODAY_HASH, at: midnight + 60 })
    tracker.record(carried)
    tracker.forget(carried)
    expect(tracker.size).toBe(0)
  })
})

describe('an event whose location the pipeline skipped', () => {
  it('is located late when it turns out to start or re-tier a visit', async () => {
    const located: string[] = []
    const tracker = new SessionTracker(noYesterday, SESSION_TIMEOUT_SECONDS, (draft) => {
      located.push(draft.visitorId)
      draft.location.countryCode = 'GB'
      draft.located = true
    })
    const first = await enriched({}, { visitorId: '31' })
    first.located = false
    first.location.countryCode = ''
    expect(sessionRows(parse(tracker.record(first)))[0]!.row.country_code).toBe('GB')
    // Continuing in the same tier: the visit's attributes are used, no lookup.
    const next = await enriched({}, { visitorId: '31', at: T0 + 10 })
    next.located = false
    tracker.record(next)
    expect(located).toEqual(['31'])
    // A tier change builds new attributes: looked up again.
    const consented = await enriched({ c: 1 }, { visitorId: '31', at: T0 + 20 })
    consented.located = false
    tracker.record(consented)
    expect(located).toEqual(['31', '31'])
  })
})

describe('a tier change mid-visit', () => {
  it('upgrading keeps the source and session; the rows gain city, ISP, full versions and screen', async () => {
    const tracker = new SessionTracker(noYesterday)
    const first = parse(
      tracker.record(await enriched({ u: 'https://shop.test/?utm_source=newsletter&utm_campaign=spring', r: 'https://www.google.com/search?q=x' })),
    )
    const anonymous = sessionRows(first)[0]!
    expect(anonymous.row).toMatchObject({
      tier: 'anonymous',
      referrer_source: 'newsletter',
      referrer_domain: 'google.com',
      referrer: '',
      utm_source: 'newsletter',
      utm_campaign: 'spring',
      country_code: 'GB',
      region: 'England',
      city: '',
      asn: 0,
      isp: '',
      browser: 'Firefox',
      browser_version: '133',
      os_version: '10',
      screen_width: 0,
    })

    // The visitor accepts the banner; the next page is internal and untagged.
    const consented = await enriched({ c: 1, sw: 1920, sh: 1080, dpr: 2, rv: 0, u: 'https://shop.test/pricing', r: 'https://shop.test/' }, { at: T0 + 30 })
    const second = parse(tracker.record(consented))
    expect(second[0]!.raw).toBe(cancelOf(anonymous))
    const upgraded = sessionRows(second)[1]!.row
    expect(upgraded).toMatchObject({
      session_id: anonymous.row.session_id,
      version: 2,
      tier: 'consented',
      referrer_source: 'newsletter',
      referrer_domain: 'google.com',
      // The full referrer was never kept in the anonymous tier, so there is none to gain.
      referrer: '',
      utm_source: 'newsletter',
      utm_campaign: 'spring',
      city: 'Bracknell',
      asn: 20712,
      isp: 'Andrews & Arnold Ltd',
      browser_version: '133.0',
      screen_width: 1920,
      screen_height: 1080,
      pixel_ratio: 2,
    })
    expect(eventRows(second)[0]!.row).toMatchObject({ tier: 'consented', city: 'Bracknell', returning: 'new', session_id: anonymous.row.session_id })
  })

  it('downgrading (withdrawal or GPC) keeps the source but drops the full referrer, city and ISP', async () => {
    const tracker = new SessionTracker(noYesterday)
    const first = parse(tracker.record(await enriched({ c: 1, sw: 390, sh: 844, r: 'https://blog.example.org/posts/lamps?token=SECRET' })))
    const consented = sessionRows(first)[0]!
    expect(consented.row).toMatchObject({
      tier: 'consented',
      referrer_source: 'blog.example.org',
      referrer: 'https://blog.example.org/posts/lamps',
      city: 'Bracknell',
      screen_width: 390,
    })
    expect(first.map((line) => line.raw).join('')).not.toContain('SECRET')

    const second = parse(tracker.record(await enriched({ c: 1, u: 'https://shop.test/next' }, { at: T0 + 30, gpc: true })))
    expect(second[0]!.raw).toBe(cancelOf(consented))
    const downgraded = sessionRows(second)[1]!.row
    expect(downgraded).toMatchObject({
      session_id: consented.row.session_id,
      version: 2,
      tier: 'anonymous',
      referrer_source: 'blog.example.org',
      referrer_domain: 'blog.example.org',
      referrer: '',
      country_code: 'GB',
      city: '',
      asn: 0,
      isp: '',
      browser_version: '133',
      screen_width: 0,
      pixel_ratio: 0,
    })
    expect(eventRows(second)[0]!.row).toMatchObject({ tier: 'anonymous', referrer: '', city: '', fonts: [], returning: 'unknown' })
  })
})

describe('events rows', () => {
  it('carry props, revenue as an exact JSON number, and the consented-only fields only when consented', async () => {
    const tracker = new SessionTracker(noYesterday)
    const purchase = await enriched({ n: 'Purchase', p: { plan: 'pro' }, $: { amount: '19.99', currency: 'eur' }, c: 1, f: ['Arial'], rv: 12 })
    const [event] = parse(tracker.record(purchase))
    expect(event!.raw).toContain(',19.9900,')
    expect(event!.row.revenue_amount).toBe(19.99)
    expect(event!.row).toMatchObject({
      name: 'Purchase',
      props: { plan: 'pro' },
      revenue_currency: 'EUR',
      fonts: ['Arial'],
      returning: 'returning',
      days_since_first_visit: 12,
    })

    const anonymous = await enriched({ n: 'Signup', f: ['Arial'], rv: 12 }, { visitorId: '77' })
    const [plain] = parse(tracker.record(anonymous))
    expect(plain!.row).toMatchObject({ revenue_amount: null, revenue_currency: '', fonts: [], returning: 'unknown', days_since_first_visit: 0 })
  })

  it('stay valid JSON whatever the page and props hold', async () => {
    const tracker = new SessionTracker(noYesterday)
    const tricky = await enriched({
      n: 'Say "hi"\\',
      u: 'https://shop.test/%22quoted%22/%5C/\u2028/кот',
      p: { 'a"b': 'line\nbreak', emoji: '😀', '"visitor_id":1': 'x' },
    })
    const lines = parse(tracker.record(tricky))
    expect(eventRows(lines)[0]!.row).toMatchObject({ name: 'Say "hi"\\', props: { 'a"b': 'line\nbreak', emoji: '😀' } })
    expect(sessionRows(lines)[0]!.row.entry_page).toBe(eventRows(lines)[0]!.row.pathname)
  })
})

/** Days held by the salts table. */
const storedDays = async (pg: Postgres) =>
  (await pg.query<{ day: string }>("SELECT to_char(day, 'YYYY-MM-DD') AS day FROM salts ORDER BY day")).map((row) => row.day)

describe('saltExpired', () => {
  it('keeps a date until it has ended in UTC-12 plus one day', () => {
    // 10 March ends in UTC-12 at 11 March 12:00 UTC; one more day for visits crossing midnight.
    expect(saltExpired('2024-03-10', Date.parse('2024-03-12T11:59:59.999Z'))).toBe(false)
    expect(saltExpired('2024-03-10', Date.parse('2024-03-12T12:00:00.000Z'))).toBe(true)
    expect(saltExpired('2024-03-10', Date.parse('2024-03-10T00:00:00Z'))).toBe(false)
    expect(saltExpired('2024-03-10', Date.parse('2024-03-01T00:00:00Z'))).toBe(false)
  })

  it('never expires a date some time zone is still in, nor the day before it', () => {
    // At any instant the latest zone (UTC-12) is at most one date behind UTC; its previous date
    // is still needed for visits crossing its midnight.
    for (let hour = 0; hour < 48; hour++) {
      const now = Date.parse('2024-03-10T00:30:00Z') + hour * 3_600_000
      const behind = new Date(now - 12 * 3_600_000).toISOString().slice(0, 10)
      const dayBefore = new Date(Date.parse(`${behind}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
      expect(saltExpired(behind, now)).toBe(false)
      expect(saltExpired(dayBefore, now)).toBe(false)
    }
  })
})

/** The same SaltStore behaviour on either Postgres: `open` gives a fresh, migrated database. */
function saltStoreSuite(open: () => Promise<{ pg: Postgres; second: () => Promise<Postgres> }>) {
  const now = Date.parse('2024-03-10T12:00:00Z')
  let pg: Postgres
  let second: () => Promise<Postgres>

  beforeAll(async () => {
    ;({ pg, second } = await open())
  })

  it('creates salts for UTC date -1 to +2, random and distinct', async () => {
    const store = new SaltStore(pg)
    await store.refresh(now)
    expect(store.days()).toEqual(['2024-03-09', '2024-03-10', '2024-03-11', '2024-03-12'])
    expect(await storedDays(pg)).toEqual(store.days())
    const salts = store.days().map((day) => store.get(day)!)
    for (const salt of salts) expect(salt).toHaveLength(32)
    expect(new Set(salts.map((salt) => salt.toString('hex'))).size).toBe(4)
    expect(store.get('2024-03-13')).toBeUndefined()
  })

  it('stores on another node agree on every salt (ON CONFLICT keeps the first)', async () => {
    const a = new SaltStore(pg)
    const other = await second()
    const b = new SaltStore(other)
    // Both nodes refresh at once, at midnight UTC, when a new date needs a salt.
    const midnight = Date.parse('2024-03-11T00:00:00Z')
    await Promise.all([a.refresh(midnight), b.refresh(midnight)])
    expect(a.days()).toEqual(['2024-03-09', '2024-03-10', '2024-03-11', '2024-03-12', '2024-03-13'])
    expect(b.days()).toEqual(a.days())
    for (const day of a.days()) expect(b.get(day)!.equals(a.get(day)!), day).toBe(true)
    // What was made yesterday is unchanged.
    const earlier = new SaltStore(pg)
    await earlier.refresh(now)
    expect(earlier.get('2024-03-10')!.equals(a.get('2024-03-10')!)).toBe(true)
  })

  it('deletes expired salts from Postgres, exactly at the boundary', async () => {
    const store = new SaltStore(pg)
    const kept = new SaltStore(pg)
    await kept.refresh(now)
    const salt11 = kept.get('2024-03-11')!

    // 11 March expires at 13 March 12:00 UTC.
    await store.refresh(Date.parse('2024-03-13T11:59:59.999Z'))
    expect(store.days()).toEqual(['2024-03-11', '2024-03-12', '2024-03-13', '2024-03-14', '2024-03-15'])
    expect(await storedDays(pg)).toEqual(store.days())
    expect(store.get('2024-03-11')!.equals(salt11)).toBe(true)

    await store.refresh(Date.parse('2024-03-13T12:00:00Z'))
    expect(store.days()).toEqual(['2024-03-12', '2024-03-13', '2024-03-14', '2024-03-15'])
    expect(await storedDays(pg)).toEqual(store.days())
    expect(store.get('2024-03-11')).toBeUndefined()
  })

  it('keeps the salts it holds when Postgres cannot be reached', async () => {
    let down = false
    const flaky: Postgres = {
      ...pg,
      query: <Row,>(sql: string, params?: readonly unknown[]) =>
        down ? Promise.reject(new Error('connection refused')) : pg.query<Row>(sql, params),
    }
    const store = new SaltStore(flaky)
    const at = Date.parse('2024-03-13T12:00:00Z')
    await store.refresh(at)
    const days = store.days()
    const salt = store.get('2024-03-13')!
    down = true
    await expect(store.refresh(at + 3_600_000)).rejects.toThrow('connection refused')
    expect(store.days()).toEqual(days)
    expect(store.get('2024-03-13')!.equals(salt)).toBe(true)
  })
}

describe('SaltStore on PGlite', () => {
  const dirs: string[] = []
  const opened: Postgres[] = []
  saltStoreSuite(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'candor-salts-'))
    dirs.push(dir)
    const pg = await openPGlite(dir)
    opened.push(pg)
    await migratePostgres(pg)
    // PGlite is one process's database: "another node" is a second store on the same instance.
    return { pg, second: async () => pg }
  })
  afterAll(async () => {
    for (const pg of opened) await pg.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
})

describe.skipIf(!serverUrl)('SaltStore on the PostgreSQL server', () => {
  let database: TemporaryDatabase | undefined
  const pools: Postgres[] = []
  saltStoreSuite(async () => {
    database = await createTemporaryDatabase()
    const connect = async () => {
      const pool = await openPool(database!.url)
      pools.push(pool)
      return pool
    }
    const pg = await connect()
    await migratePostgres(pg)
    // A second pool is a second node.
    return { pg, second: connect }
  })
  afterAll(async () => {
    for (const pool of pools) await pool.close()
    await database?.drop()
  })
})
explainSkip()
