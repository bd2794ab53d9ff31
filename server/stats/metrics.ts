// The metrics the Stats API computes. Each has its SQL over events rows, over sessions rows
// (sign-weighted, so cancelled visit states drop out), or over visits joined from both.

export const METRICS = [
  'visitors',
  'visits',
  'pageviews',
  'events',
  'views_per_visit',
  'bounce_rate',
  'visit_duration',
  'conversion_rate',
] as const
export type Metric = (typeof METRICS)[number]
export const isMetric = (name: string): name is Metric => (METRICS as readonly string[]).includes(name)
/** Metrics read from stored rows; conversion_rate is a ratio of two visitor counts (sql.ts). */
export type StoredMetric = Exclude<Metric, 'conversion_rate'>

/** Metrics that describe a visit as a whole. */
export const SESSION_METRICS: ReadonlySet<Metric> = new Set(['visits', 'views_per_visit', 'bounce_rate', 'visit_duration'])

/**
 * Distinct counts use uniqCombined64: exact up to a few thousand values (an array, then a hash
 * table), then a HyperLogLog of 2^17 cells, about 0.3 % standard error; and faster than uniq here.
 * The 64-bit hash keeps collisions out at any volume.
 */
const DISTINCT = (column: string) => `uniqCombined64(${column})`

export const ON_EVENTS: Partial<Record<StoredMetric, string>> = {
  visitors: DISTINCT('visitor_id'),
  pageviews: "countIf(name = 'pageview')",
  events: 'count()',
  // With an event dimension, the visits that had such an event.
  visits: DISTINCT('session_id'),
}

export const ON_SESSIONS: Record<StoredMetric, string> = {
  visitors: DISTINCT('visitor_id'),
  visits: 'sum(sign)',
  pageviews: 'sum(sign * pageviews)',
  events: 'sum(sign * events)',
  views_per_visit: 'if(sum(sign) > 0, round(sum(sign * pageviews) / sum(sign), 2), 0)',
  bounce_rate: 'if(sum(sign) > 0, round(100 * sum(sign * is_bounce) / sum(sign)), 0)',
  visit_duration: 'if(sum(sign) > 0, round(sum(sign * duration) / sum(sign)), 0)',
}

/**
 * Over one row per (dimension values, visitor) with a live visit there, holding that visitor's
 * sign-weighted sums (v_visits, v_pageviews, v_events, v_bounces, v_duration). Used when visitors
 * are counted from sessions rows: a cancelled state keeps its visitor id, so a distinct count would
 * count a visitor under a stale exit page (or a city before consent) the visit has left.
 */
export const ON_VISITOR_SESSIONS: Record<StoredMetric, string> = {
  visitors: 'count()',
  visits: 'sum(v_visits)',
  pageviews: 'sum(v_pageviews)',
  events: 'sum(v_events)',
  views_per_visit: 'if(sum(v_visits) > 0, round(sum(v_pageviews) / sum(v_visits), 2), 0)',
  bounce_rate: 'if(sum(v_visits) > 0, round(100 * sum(v_bounces) / sum(v_visits)), 0)',
  visit_duration: 'if(sum(v_visits) > 0, round(sum(v_duration) / sum(v_visits)), 0)',
}

/** Over one row per (dimension values, visit), joined with each visit's latest state. */
export const ON_JOINED_VISITS: Partial<Record<StoredMetric, string>> = {
  bounce_rate: 'if(count() > 0, round(100 * avg(is_bounce)), 0)',
  visit_duration: 'if(count() > 0, round(avg(duration)), 0)',
}
