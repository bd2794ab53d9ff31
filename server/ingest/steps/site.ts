// Which site an event belongs to, and whether its page is one of that site's hostnames.
import type { SitesService } from '../../sites/index.ts'
import type { Step } from '../pipeline.ts'

export function resolveSite(sites: SitesService): Step {
  return {
    name: 'resolveSite',
    async run(draft) {
      const site = await sites.find(draft.domain)
      if (site === null) return 'unknown_site'
      draft.site = site
      return undefined
    },
  }
}

const within = (hostname: string, domain: string) => hostname === domain || hostname.endsWith(`.${domain}`)

/** The site's domain, its subdomains, and its aliases (with their subdomains) count; others are foreign. */
export const checkHostname: Step = {
  name: 'checkHostname',
  run(draft) {
    const hostname = draft.event.url.hostname.toLowerCase().replace(/\.$/, '')
    const { domain, aliases } = draft.site
    if (!within(hostname, domain) && !aliases.some((alias) => within(hostname, alias))) return 'foreign_hostname'
    draft.hostname = hostname
    return undefined
  },
}
