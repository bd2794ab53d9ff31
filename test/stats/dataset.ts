// A small hand-built day of traffic whose every number is worked out by hand below, shared by the
// metrics and filters tests. One UTC site, 2026-03-10, four visitors, five visits:
//
// visit visitor start  pages (60 s apart unless said)      custom events              source      geo                        browser/os/device
// V1    A       09:00  / → /pricing → /signup  (120 s)      Signup{plan:pro} /signup   Google      DE DE-BE Berlin            Chrome Linux Desktop   (stored with a stale v1 state and its cancel row)
// V2    A       15:00  /blog                   (0 s)        —                          Direct      DE DE-BE Berlin            Firefox Windows Desktop
// V3    B       10:30  / → /blog  (30 s apart)              Signup{plan:free} /blog    Newsletter  FR FR-IDF Paris            Safari iOS Mobile      (utm_* set)
// V4    C       10:45  /pricing                (40 s)       Download{file:a.pdf} +40 s Google      DE DE-BY München           Chrome Mac Desktop     (full referrer kept)
// V5    D       23:30  /                       (0 s)        —                          Direct      RU RU-MOW Москва           Chrome Android Mobile
//
// Bounces: V2, V5. Totals: visitors 4, visits 5, pageviews 8, events 11, views per visit 1.6,
// bounce rate 40 %, visit duration (120 + 0 + 30 + 40 + 0) / 5 = 38 s.
// Outside the day: V6 (visitor E) on 2026-03-09 23:59:59, V7 (F) on 2026-03-11 00:00:00, V8 (G)
// on 2026-03-02 and V9 (H) on 2026-04-02, for range bounds and week/month buckets.
import type { TestApp } from '../helpers/app.ts'
import { newId, visits } from '../helpers/factories.ts'

export const SITE = 'shop.test'
export const DAY = '2026-03-10'
export const ALL_METRICS = ['visitors', 'visits', 'pageviews', 'events', 'views_per_visit', 'bounce_rate', 'visit_duration']

export async function seedDay(t: TestApp): Promise<void> {
  const [A, B, C, D] = [newId(), newId(), newId(), newId()]
  const site = SITE
  await visits(t, [
    {
      site, visitor: A, start: '2026-03-10T09:00:00Z', pages: ['/', '/pricing', '/signup'],
      events: [{ name: 'Signup', props: { plan: 'pro' } }], stale: true,
      source: 'Google', referrerDomain: 'google.com', country: 'DE', region: 'DE-BE', city: 'Berlin',
      browser: 'Chrome', os: 'Linux', device: 'Desktop',
    },
    {
      site, visitor: A, start: '2026-03-10T15:00:00Z', pages: ['/blog'],
      country: 'DE', region: 'DE-BE', city: 'Berlin', browser: 'Firefox', os: 'Windows', device: 'Desktop',
    },
    {
      site, visitor: B, start: '2026-03-10T10:30:00Z', pages: ['/', '/blog'], gap: 30,
      events: [{ name: 'Signup', props: { plan: 'free' } }],
      source: 'Newsletter', utmSource: 'newsletter', utmMedium: 'email', utmCampaign: 'spring', utmContent: 'hero', utmTerm: 'lamp',
      country: 'FR', region: 'FR-IDF', city: 'Paris', browser: 'Safari', os: 'iOS', device: 'Mobile',
    },
    {
      site, visitor: C, start: '2026-03-10T10:45:00Z', pages: ['/pricing'],
      events: [{ name: 'Download', props: { file: 'a.pdf' }, at: 40 }],
      source: 'Google', referrerDomain: 'google.com', referrer: 'https://www.google.com/search', tier: 'consented',
      country: 'DE', region: 'DE-BY', city: 'München', browser: 'Chrome', os: 'Mac', device: 'Desktop',
    },
    {
      site, visitor: D, start: '2026-03-10T23:30:00Z', pages: ['/'],
      country: 'RU', region: 'RU-MOW', city: 'Москва', browser: 'Chrome', os: 'Android', device: 'Mobile',
    },
    { site, start: '2026-03-09T23:59:59Z', pages: ['/'] },
    { site, start: '2026-03-11T00:00:00Z', pages: ['/'] },
    { site, start: '2026-03-02T12:00:00Z', pages: ['/'] },
    { site, start: '2026-04-02T12:00:00Z', pages: ['/'] },
  ])
}

/** A query's results as { "dimension values joined by |": metrics }. */
export function table(json: { results: Array<{ metrics: number[]; dimensions: string[] }> }): Record<string, number[]> {
  return Object.fromEntries(json.results.map((row) => [row.dimensions.join('|'), row.metrics]))
}
