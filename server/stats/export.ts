// CSV export of a dashboard view: every card, with the view's date range and filters, as one CSV
// file each in a zip. Each file is an ordinary Stats API query, so it counts what the cards show.
import { strToU8, zipSync } from 'fflate'
import { Type, type Static } from 'typebox'
import type { QueryResult } from './query.ts'
import type { QueryRequest } from './schema.ts'

export const ExportRequest = Type.Object(
  {
    site_id: Type.String({ minLength: 1, maxLength: 253, description: 'The site domain' }),
    date_range: Type.Union([Type.String({ maxLength: 16 }), Type.Array(Type.String({ maxLength: 40 }), { minItems: 2, maxItems: 2 })]),
    date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
    filters: Type.Optional(Type.Array(Type.Array(Type.Unknown(), { minItems: 3, maxItems: 4 }), { maxItems: 30 })),
  },
  { additionalProperties: false, $id: 'ExportQuery' },
)
export type ExportRequest = Static<typeof ExportRequest>

const VISIT_METRICS = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration']

export interface Card {
  readonly file: string
  readonly dimension: string
  readonly column: string
  readonly metrics: readonly string[]
  /** Extra filters the card adds to the view's. */
  readonly filters?: readonly unknown[][]
}

/** The cards of the dashboard, in its order; the first is the graph's series. */
export const EXPORT_CARDS: readonly Card[] = [
  { file: 'visitors.csv', dimension: 'time:day', column: 'date', metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'] },
  { file: 'sources.csv', dimension: 'visit:source', column: 'source', metrics: VISIT_METRICS },
  { file: 'referrers.csv', dimension: 'visit:referrer', column: 'referrer', metrics: VISIT_METRICS },
  { file: 'utm_mediums.csv', dimension: 'visit:utm_medium', column: 'utm_medium', metrics: VISIT_METRICS },
  { file: 'utm_sources.csv', dimension: 'visit:utm_source', column: 'utm_source', metrics: VISIT_METRICS },
  { file: 'utm_campaigns.csv', dimension: 'visit:utm_campaign', column: 'utm_campaign', metrics: VISIT_METRICS },
  { file: 'pages.csv', dimension: 'event:page', column: 'page', metrics: ['visitors', 'pageviews', 'bounce_rate', 'visit_duration'] },
  { file: 'entry_pages.csv', dimension: 'visit:entry_page', column: 'entry_page', metrics: ['visitors', 'visits', 'bounce_rate', 'visit_duration'] },
  { file: 'exit_pages.csv', dimension: 'visit:exit_page', column: 'exit_page', metrics: ['visitors', 'visits', 'bounce_rate', 'visit_duration'] },
  { file: 'countries.csv', dimension: 'visit:country', column: 'country', metrics: VISIT_METRICS },
  { file: 'regions.csv', dimension: 'visit:region', column: 'region', metrics: VISIT_METRICS },
  { file: 'cities.csv', dimension: 'visit:city', column: 'city', metrics: VISIT_METRICS },
  { file: 'isps.csv', dimension: 'visit:isp', column: 'isp', metrics: VISIT_METRICS },
  { file: 'browsers.csv', dimension: 'visit:browser', column: 'browser', metrics: VISIT_METRICS },
  { file: 'browser_versions.csv', dimension: 'visit:browser_version', column: 'browser_version', metrics: VISIT_METRICS },
  { file: 'operating_systems.csv', dimension: 'visit:os', column: 'operating_system', metrics: VISIT_METRICS },
  { file: 'os_versions.csv', dimension: 'visit:os_version', column: 'os_version', metrics: VISIT_METRICS },
  { file: 'devices.csv', dimension: 'visit:device', column: 'device', metrics: VISIT_METRICS },
  { file: 'screens.csv', dimension: 'visit:screen', column: 'screen', metrics: VISIT_METRICS },
  { file: 'timezones.csv', dimension: 'visit:timezone', column: 'timezone', metrics: VISIT_METRICS },
  { file: 'languages.csv', dimension: 'visit:language', column: 'language', metrics: VISIT_METRICS },
  { file: 'fonts.csv', dimension: 'event:font', column: 'font', metrics: ['visitors', 'visits'] },
  { file: 'goals.csv', dimension: 'event:goal', column: 'goal', metrics: ['visitors', 'events', 'conversion_rate'] },
  { file: 'custom_events.csv', dimension: 'event:name', column: 'event', metrics: ['visitors', 'events'], filters: [['is_not', 'event:name', ['pageview']]] },
]

/** RFC 4180 quoting, and a leading apostrophe on what a spreadsheet would run as a formula. */
export function csvField(value: string | number): string {
  let text = String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export const csvLine = (fields: ReadonlyArray<string | number>) => `${fields.map(csvField).join(',')}\r\n`

export interface ExportFile {
  readonly filename: string
  readonly zip: Uint8Array
}

/**
 * Runs every card's query through `run` (the caller's authorised pipeline) and zips the CSVs.
 * Queries go two at a time by default: the embedded ClickHouse has the same two cores as the server.
 */
export async function exportView(
  body: ExportRequest,
  run: (request: QueryRequest) => Promise<QueryResult>,
  { cards = EXPORT_CARDS, concurrency = 2 }: { cards?: readonly Card[]; concurrency?: number } = {},
): Promise<ExportFile> {
  const files: Record<string, Uint8Array> = {}
  let days: string[] = []
  const queue = [...cards]
  let failed = false
  const worker = async () => {
    for (let card = queue.shift(); card && !failed; card = queue.shift()) {
      const result = await run({
        site_id: body.site_id,
        date_range: body.date_range,
        ...(body.date ? { date: body.date } : {}),
        metrics: [...card.metrics],
        dimensions: [card.dimension],
        filters: [...(body.filters ?? []), ...(card.filters ?? [])],
        pagination: { limit: 10_000, offset: 0 },
        ...(card.dimension === 'time:day' ? { include: { time_labels: true } } : {}),
      }).catch((error: unknown) => {
        failed = true
        throw error
      })
      if (card.dimension === 'time:day') days = result.meta.time_labels ?? []
      const lines = [csvLine([card.column, ...card.metrics]), ...result.results.map((row) => csvLine([...row.dimensions, ...row.metrics]))]
      files[card.file] = strToU8(lines.join(''))
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  // Files in the cards' order, whatever order the queries finished in.
  const ordered = Object.fromEntries(cards.map((card) => [card.file, files[card.file]!]))
  return { filename: `${body.site_id}-${days[0] ?? ''}-${days.at(-1) ?? ''}.zip`, zip: zipSync(ordered, { level: 6 }) }
}
