// The sites context: sites, their hostnames, time zone and retention, and their Stats API keys.
import fp from 'fastify-plugin'
import { SitesService } from './service.ts'
import { SiteBody, siteRoutes } from './routes.ts'

export { SitesService, DEFAULT_RETENTION_DAYS } from './service.ts'
export type { Site, NewSite, SiteChanges } from './service.ts'
export { canonicalHostname, parseSiteDomain, isTimeZone } from './domain.ts'

declare module 'fastify' {
  interface FastifyInstance {
    sites: SitesService
  }
}

export const sitesPlugin = fp(
  async (app) => {
    app.decorate('sites', new SitesService(app.postgres))
    // On the root instance: a context calling addSchema would get Fastify's default validator
    // (which strips unknown fields and coerces types) instead of the app's TypeBox one.
    app.addSchema(SiteBody)
    await app.register(siteRoutes)
  },
  { name: 'sites', dependencies: ['databases', 'auth'] },
)
