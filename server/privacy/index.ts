// The privacy context: retention. Each row carries its site's retention and ClickHouse's TTL
// removes it when due; when a site's retention changes, rows already stored are rewritten to the
// new value (a mutation), which also removes the ones now past it.
import fp from 'fastify-plugin'
import type { ClickHouse } from '../db/index.ts'

export const RETAINED_TABLES = ['events', 'sessions'] as const

export async function applyRetention(clickhouse: ClickHouse, siteId: number, retentionDays: number): Promise<void> {
  for (const table of RETAINED_TABLES) {
    // Mutations run on the local tables of a cluster; the table names come from the list above.
    const target = clickhouse.cluster ? `${table}_local ON CLUSTER \`${clickhouse.cluster}\`` : table
    await clickhouse.client.command({
      query: `ALTER TABLE ${target} UPDATE retention_days = {days:UInt16} WHERE site_id = {site:UInt32} AND retention_days != {days:UInt16}`,
      query_params: { days: retentionDays, site: siteId },
      clickhouse_settings: { mutations_sync: '2' },
    })
  }
}

export const privacyPlugin = fp(
  async (app) => {
    app.sites.onRetentionChange(async (site) => {
      app.log.info({ site: site.domain, retentionDays: site.retentionDays }, 'applying a changed retention to stored events')
      await applyRetention(app.clickhouse, site.id, site.retentionDays)
    })
  },
  { name: 'privacy', dependencies: ['databases', 'sites'] },
)
