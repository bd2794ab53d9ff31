// The privacy context: retention. Each row carries its site's retention and ClickHouse's TTL
// removes it when due. When a site's retention changes, rows already stored are rewritten to the
// new value (a mutation), which also removes the ones now past it. Rows written after that with
// the old value (still in a spool, or from a node whose site cache was older) are caught by an
// hourly pass, which also retries a rewrite that failed.
import fp from 'fastify-plugin'
import type { ClickHouse } from '../db/index.ts'
import type { Site, SitesService } from '../sites/index.ts'

export const RETAINED_TABLES = ['events', 'sessions'] as const

/** Tables whose rows carry a site's retention (`site_id`, `retention_days`), each kept by a TTL. */
export type RetainedTable = (typeof RETAINED_TABLES)[number] | 'consent_records'

/** Rewrites one table's rows of a site to `retentionDays`; TTL then removes those past it. */
export async function applyTableRetention(clickhouse: ClickHouse, table: RetainedTable, siteId: number, retentionDays: number): Promise<void> {
  // Mutations run on the local tables of a cluster; the table names come from RetainedTable.
  const target = clickhouse.cluster ? `${table}_local ON CLUSTER \`${clickhouse.cluster}\`` : table
  await clickhouse.client.command({
    query: `ALTER TABLE ${target} UPDATE retention_days = {days:UInt16} WHERE site_id = {site:UInt32} AND retention_days != {days:UInt16}`,
    query_params: { days: retentionDays, site: siteId },
    clickhouse_settings: { mutations_sync: '2' },
  })
}

/** Whether any stored row of the site in `table` carries another retention than `retentionDays`. */
export async function tableOutOfDate(clickhouse: ClickHouse, table: RetainedTable, siteId: number, retentionDays: number): Promise<boolean> {
  const result = await clickhouse.client.query({
    query: `SELECT count() AS n FROM ${table} WHERE site_id = {site:UInt32} AND retention_days != {days:UInt16}`,
    query_params: { site: siteId, days: retentionDays },
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ n: number }>()
  return Number(row?.n ?? 0) > 0
}

export async function applyRetention(clickhouse: ClickHouse, siteId: number, retentionDays: number): Promise<void> {
  for (const table of RETAINED_TABLES) await applyTableRetention(clickhouse, table, siteId, retentionDays)
}

/** Whether any stored row of the site carries another retention than the site's. */
async function outOfDate(clickhouse: ClickHouse, site: Site): Promise<boolean> {
  for (const table of RETAINED_TABLES) if (await tableOutOfDate(clickhouse, table, site.id, site.retentionDays)) return true
  return false
}

/** Brings every site's stored rows to its current retention; returns the sites it rewrote. */
export async function reconcileRetention(clickhouse: ClickHouse, sites: SitesService): Promise<string[]> {
  const rewritten: string[] = []
  for (const site of await sites.list()) {
    if (await outOfDate(clickhouse, site)) {
      await applyRetention(clickhouse, site.id, site.retentionDays)
      rewritten.push(site.domain)
    }
  }
  return rewritten
}

export const privacyPlugin = fp(
  async (app) => {
    app.sites.onRetentionChange(async (site) => {
      app.log.info({ site: site.domain, retentionDays: site.retentionDays }, 'applying a changed retention to stored events')
      await applyRetention(app.clickhouse, site.id, site.retentionDays)
    })
    const pass = () =>
      reconcileRetention(app.clickhouse, app.sites).then(
        (rewritten) => rewritten.length > 0 && app.log.info({ sites: rewritten }, 'retention applied to late rows'),
        (error: unknown) => app.log.warn({ err: error }, 'the retention pass failed; it runs again in an hour'),
      )
    const timer = setInterval(pass, 3_600_000)
    timer.unref()
    app.addHook('onClose', async () => clearInterval(timer))
  },
  { name: 'privacy', dependencies: ['databases', 'sites'] },
)
