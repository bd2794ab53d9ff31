// Country and region for every visit; city and ISP only for the consented tier. The IP is read
// here, in memory, and goes no further. A visit's location is taken when it starts (or changes
// tier); later events of the visit carry the visit's attributes, so they skip the lookup.
import type { Draft, Step } from '../pipeline.ts'

export interface Locator {
  locate(ip: string): { countryCode: string; region: string; city: string; asn: number; isp: string }
}

/** `needed` says whether this event's own location will be used (true when not given). */
/** Fills in the event's location from its IP, by tier. */
export function lookUpLocation(geo: Locator, draft: Draft): void {
  const found = geo.locate(draft.request.ip)
  const location = draft.location
  location.countryCode = found.countryCode
  location.region = found.region
  if (draft.consented) {
    location.city = found.city
    location.asn = found.asn
    location.isp = found.isp
  }
  draft.located = true
}

/** `needed` says whether this event's own location will be used (true when not given). */
export function locate(geo: Locator, needed: (draft: Draft) => boolean = () => true): Step {
  return {
    name: 'locate',
    run(draft) {
      if (needed(draft)) lookUpLocation(geo, draft)
      return undefined
    },
  }
}
