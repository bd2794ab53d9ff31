// Country and region for every visit; city and ISP only for the consented tier. The IP is read
// here, in memory, and goes no further.
import type { Step } from '../pipeline.ts'

export interface Locator {
  locate(ip: string): { countryCode: string; region: string; city: string; asn: number; isp: string }
}

export function locate(geo: Locator): Step {
  return {
    name: 'locate',
    run(draft) {
      const found = geo.locate(draft.request.ip)
      const location = draft.location
      location.countryCode = found.countryCode
      location.region = found.region
      if (draft.consented) {
        location.city = found.city
        location.asn = found.asn
        location.isp = found.isp
      }
      return undefined
    },
  }
}
