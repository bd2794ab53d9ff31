// The sites context: sites, their hostnames, time zone and retention, their staff and invitations,
// and Stats API keys.
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { SitesService } from './service.ts'
import { adminSiteRoutes, keyRoutes, SiteBody, staffRoutes } from './routes.ts'

export { SitesService, DEFAULT_RETENTION_DAYS } from './service.ts'
export type { Site, NewSite, SiteChanges } from './service.ts'
export type { SiteRole } from './staff.ts'
export { canonicalHostname, parseSiteDomain, isTimeZone, servesHostname } from './domain.ts'

declare module 'fastify' {
  interface FastifyInstance {
    sites: SitesService
  }
}

export const sitesPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const sites = new SitesService(app.postgres, app.mailer, config.publicUrl)
    app.decorate('sites', sites)
    // On the root instance: a context calling addSchema would get Fastify's default validator
    // (which strips unknown fields and coerces types) instead of the app's TypeBox one.
    app.addSchema(SiteBody)
    app.accounts.registerContributor({
      name: 'sites',
      export: async (userId) => ({
        staffOf: await Promise.all(
          (await sites.staff.sitesOf(userId)).map(async ({ siteId, role }) => ({ site: (await sites.getById(siteId)).domain, role })),
        ),
        statsApiKeys: await sites.keys.list(userId),
      }),
      // Memberships and keys go with the account row (ON DELETE CASCADE); invitations the person
      // sent keep no trace of them (ON DELETE SET NULL). Invitations to their address go too.
      erase: async (user, db) => {
        await db.query('DELETE FROM site_invitations WHERE email = $1', [user.email])
      },
    })
    await app.register(adminSiteRoutes)
    await app.register(staffRoutes)
    await app.register(keyRoutes)
  },
  { name: 'sites', dependencies: ['databases', 'auth', 'email', 'accounts'] },
)
