// The consent context: each site's banner configuration (versioned in Postgres) and the consent
// records that prove every decision (append-only in ClickHouse), with the routes banners and staff use.
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { ConsentConfigs } from './configs.ts'
import { ConsentRecords } from './records.ts'
import { bannerRoutes, gpcRoute, staffConsentRoutes } from './routes.ts'
import { BannerConfigBody, ConsentHistoryBody, ConsentVersionBody } from './schemas.ts'

export { ConsentConfigs, canonicalJson, textsHash, mergeTexts } from './configs.ts'
export type { ConsentChanges, ConsentVersion } from './configs.ts'
export { ConsentRecords } from './records.ts'
export { CONSENT_COOKIE, DEFAULT_CONSENT_RETENTION_DAYS, DEFAULT_EXPIRY_DAYS } from './defaults.ts'

export interface ConsentService {
  readonly configs: ConsentConfigs
  readonly records: ConsentRecords
}

declare module 'fastify' {
  interface FastifyInstance {
    consent: ConsentService
  }
}

export const consentPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const configs = new ConsentConfigs(app.postgres)
    const consent: ConsentService = { configs, records: new ConsentRecords(app.clickhouse, configs) }
    app.decorate('consent', consent)
    // On the root instance, where the app's TypeBox validator is (see sites/index.ts).
    app.addSchema(BannerConfigBody)
    app.addSchema(ConsentHistoryBody)
    app.addSchema(ConsentVersionBody)
    await app.register(bannerRoutes(consent, config.rateLimitPerMinute))
    await app.register(gpcRoute())
    await app.register(staffConsentRoutes(consent))
  },
  { name: 'consent', dependencies: ['databases', 'auth', 'sites', 'ingest'] },
)
