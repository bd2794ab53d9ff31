// The consent context: each site's banner configuration (versioned in Postgres) and the consent
// records that prove every decision (append-only in ClickHouse), with the routes banners and staff use.
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { ConsentConfigs } from './configs.ts'
import { ConsentRecords } from './records.ts'
import { bannerRoutes, gpcRoute, staffConsentRoutes } from './routes.ts'
import { ConsentReportBody } from './report.ts'
import { BannerConfigBody, ConsentHistoryBody, ConsentVersionBody } from './schemas.ts'

export { ConsentConfigs, canonicalJson, shownHash, mergeTexts } from './configs.ts'
export type { ConsentChanges, ConsentVersion } from './configs.ts'
export { ConsentRecords } from './records.ts'
export { CONSENT_COOKIE, DEFAULT_CONSENT_RETENTION_DAYS, DEFAULT_EXPIRY_DAYS } from './defaults.ts'

export interface ConsentService {
  readonly configs: ConsentConfigs
  readonly records: ConsentRecords
  /** Brings every site's stored records to its current retention; returns the sites rewritten. Runs hourly. */
  reconcileRetention(): Promise<string[]>
}

declare module 'fastify' {
  interface FastifyInstance {
    consent: ConsentService
  }
}

export const consentPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const configs = new ConsentConfigs(app.postgres)
    const records = new ConsentRecords(app.clickhouse, configs)
    const consent: ConsentService = {
      configs,
      records,
      async reconcileRetention() {
        const rewritten: string[] = []
        for (const site of await app.sites.list()) {
          const { retentionDays } = await configs.current(site.id)
          if (await records.outOfDate(site.id, retentionDays)) {
            await records.applyRetention(site.id, retentionDays)
            rewritten.push(site.domain)
          }
        }
        return rewritten
      },
    }
    app.decorate('consent', consent)
    // A new site starts with the default configuration as version 1, so that no banner request
    // (which may be refused) is what writes it. Sites added by the CLI without a server get it on first use.
    app.sites.onAdded(async (site) => {
      await configs.current(site.id)
    })
    // Records written with an older retention (a change whose rewrite failed, or a node that had not
    // seen the change yet) are brought to the site's current one every hour.
    const timer = setInterval(() => consent.reconcileRetention().catch((error: unknown) => app.log.warn({ err: error }, 'the consent retention pass failed; it runs again in an hour')), 3_600_000)
    timer.unref()
    app.addHook('onClose', async () => clearInterval(timer))
    // On the root instance, where the app's TypeBox validator is (see sites/index.ts).
    app.addSchema(BannerConfigBody)
    app.addSchema(ConsentHistoryBody)
    app.addSchema(ConsentReportBody)
    app.addSchema(ConsentVersionBody)
    await app.register(bannerRoutes(consent, config.rateLimitPerMinute))
    await app.register(gpcRoute())
    await app.register(staffConsentRoutes(consent))
  },
  { name: 'consent', dependencies: ['databases', 'auth', 'sites', 'ingest'] },
)
