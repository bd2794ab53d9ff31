// Which site an event belongs to, and whether its page is one of that site's hostnames.
import { servesHostname, type SitesService } from '../../sites/index.ts'
import { unavailable } from '../../errors.ts'
import type { Step } from '../pipeline.ts'

export function resolveSite(sites: SitesService): Step {
  return {
    name: 'resolveSite',
    async run(draft) {
      let site
      try {
        site = await sites.find(draft.domain)
      } catch {
        // Postgres is unreachable and the site is not in memory: the client may retry.
        throw unavailable('sites cannot be looked up right now; retry shortly', 5)
      }
      if (site === null) return 'unknown_site'
      draft.site = site
      return undefined
    },
  }
}

/** The site's domain, its subdomains, and its aliases (with their subdomains) count; others are foreign. */
export const checkHostname: Step = {
  name: 'checkHostname',
  run(draft) {
    const hostname = draft.event.url.hostname.toLowerCase().replace(/\.$/, '')
    if (!servesHostname(draft.site, hostname)) return 'foreign_hostname'
    draft.hostname = hostname
    return undefined
  },
}
