// The consent report staff read in the dashboard: decisions per day by method, how often each
// category is granted, decisions per policy version, and the share of visits counted in full.
// Days are the site's own; every value reaches ClickHouse as a bound parameter.
import { Type, type Static } from 'typebox'
import type { ClickHouseClient } from '../db/index.ts'
import { badRequest } from '../errors.ts'
import type { Site } from '../sites/index.ts'
import { parseDateRange, timeLabels } from '../stats/date-range.ts'
import { isCalendarDay, localDay } from '../time.ts'

export const ReportQuery = Type.Object(
  {
    date_range: Type.Optional(Type.String({ maxLength: 16, description: 'A Stats API keyword (30d by default); or give from and to' })),
    date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'The day relative ranges count back from' })),
    from: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
    to: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
  },
  { additionalProperties: false },
)
export type ReportQuery = Static<typeof ReportQuery>

const METHODS = ['accept_all', 'reject_all', 'custom', 'withdraw', 'gpc', 'expired_reprompt'] as const
const Count = Type.Integer({ minimum: 0 })

export const ConsentReportBody = Type.Object(
  {
    from: Type.String({ description: 'First day, in the site time zone' }),
    to: Type.String({ description: 'Last day' }),
    timezone: Type.String(),
    days: Type.Array(Type.Object({ day: Type.String(), ...Object.fromEntries(METHODS.map((method) => [method, Count])), total: Count })),
    categories: Type.Array(
      Type.Object({ category: Type.String(), granted: Count, decisions: Count, rate: Type.Number({ description: '% of the decisions that granted it' }) }),
    ),
    versions: Type.Array(Type.Object({ version: Type.Integer(), decisions: Count, accept_all: Count, reject_all: Count, custom: Count })),
    visits: Type.Object({ full: Count, anonymous: Count, full_share: Type.Number({ description: '% of visits counted in full (consented tier)' }) }),
  },
  { $id: 'ConsentReport' },
)
export type ConsentReport = Static<typeof ConsentReportBody>

/** A visitor's own choices; a re-prompt after expiry or a new policy is the banner's record, not a choice. */
const CHOICES = "method != 'expired_reprompt'"
const percent = (part: number, whole: number) => (whole > 0 ? Math.round((1000 * part) / whole) / 10 : 0)

export async function consentReport(clickhouse: ClickHouseClient, site: Site, input: ReportQuery, now = Date.now()): Promise<ConsentReport> {
  if ((input.from === undefined) !== (input.to === undefined)) throw badRequest('give both from and to, or neither', input.from === undefined ? 'from' : 'to')
  if (input.from !== undefined && input.date_range !== undefined) throw badRequest('give date_range or from and to, not both', 'date_range')
  for (const field of ['from', 'to', 'date'] as const) {
    const value = input[field]
    if (value !== undefined && !isCalendarDay(value)) throw badRequest(`"${value}" is not a date`, field)
  }
  const range = parseDateRange(input.from !== undefined ? [input.from, input.to!] : (input.date_range ?? '30d'), {
    timezone: site.timezone,
    firstDay: localDay(site.timezone, Date.parse(site.createdAt)),
    today: input.date ?? localDay(site.timezone, now),
    now,
  })
  const params = { site: site.id, from: range.from, to: range.to, zone: range.zone, tz: site.timezone }
  const inRange = 'site_id = {site:UInt32} AND time >= toDateTime({from:String}, {zone:String}) AND time < toDateTime({to:String}, {zone:String})'
  const rows = async <T>(query: string) => (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>()

  const [byDay, byCategory, byVersion, byTier] = await Promise.all([
    rows<{ day: string; method: string; n: string }>(
      `SELECT toString(toDate(time, {tz:String})) AS day, toString(method) AS method, count() AS n FROM consent_records WHERE ${inRange} GROUP BY day, method`,
    ),
    // Aliases differ from the column names: an alias would shadow the granted column in the ARRAY JOIN.
    rows<{ category: string; n_granted: string; n_decisions: string }>(
      `SELECT category, countIf(has(granted, category)) AS n_granted, count() AS n_decisions FROM consent_records ` +
        `ARRAY JOIN arrayDistinct(arrayConcat(granted, denied)) AS category WHERE ${inRange} AND ${CHOICES} AND category != 'necessary' ` +
        'GROUP BY category ORDER BY category',
    ),
    rows<{ version: number; decisions: string; accept_all: string; reject_all: string; custom: string }>(
      `SELECT policy_version AS version, count() AS decisions, countIf(method = 'accept_all') AS accept_all, ` +
        `countIf(method = 'reject_all') AS reject_all, countIf(method = 'custom') AS custom FROM consent_records ` +
        `WHERE ${inRange} AND ${CHOICES} GROUP BY version ORDER BY version`,
    ),
    // Visits from the sessions table, sign-weighted so each visit counts once in its latest tier.
    rows<{ tier: string; visits: string }>(
      'SELECT toString(tier) AS tier, sum(sign) AS visits FROM sessions WHERE site_id = {site:UInt32} ' +
        'AND start >= toDateTime({from:String}, {zone:String}) AND start < toDateTime({to:String}, {zone:String}) GROUP BY tier',
    ),
  ])

  const days = timeLabels('time:day', range).map((day) => {
    const counts = Object.fromEntries(METHODS.map((method) => [method, 0])) as Record<(typeof METHODS)[number], number>
    return { day, ...counts, total: 0 }
  })
  const dayIndex = new Map(days.map((entry, index) => [entry.day, index]))
  for (const row of byDay) {
    const entry = days[dayIndex.get(row.day) ?? -1]
    if (!entry) continue
    entry[row.method as (typeof METHODS)[number]] += Number(row.n)
    entry.total += Number(row.n)
  }
  const full = Number(byTier.find((row) => row.tier === 'consented')?.visits ?? 0)
  const anonymous = Number(byTier.find((row) => row.tier === 'anonymous')?.visits ?? 0)
  return {
    from: range.firstDay,
    to: range.lastDay,
    timezone: site.timezone,
    days,
    categories: byCategory.map((row) => ({
      category: row.category,
      granted: Number(row.n_granted),
      decisions: Number(row.n_decisions),
      rate: percent(Number(row.n_granted), Number(row.n_decisions)),
    })),
    versions: byVersion.map((row) => ({
      version: Number(row.version),
      decisions: Number(row.decisions),
      accept_all: Number(row.accept_all),
      reject_all: Number(row.reject_all),
      custom: Number(row.custom),
    })),
    visits: { full, anonymous, full_share: percent(full, full + anonymous) },
  }
}
