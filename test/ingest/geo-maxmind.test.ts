// MaxMind's own schemas (GeoIP2/GeoLite2-City, GeoLite2-ASN, GeoIP2-ISP) in .mmdb files written
// by the test's writer, routing between several city files, and the tree walk in location.ts
// checked against mmdb-lib on the real GeoLite2 files.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Reader } from 'maxmind'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultGeoPaths, openGeo } from '../../server/ingest/geo/index.ts'
import { openCityDatabases } from '../../server/ingest/geo/location.ts'
import { ipv6Bytes, writeMmdb, type MmdbNetwork } from './geo-mmdb-writer.ts'

const LONDON = {
  city: { geoname_id: 2643743, names: { en: 'London', ru: 'Лондон' } },
  continent: { code: 'EU', geoname_id: 6255148, names: { en: 'Europe' } },
  country: { geoname_id: 2635167, iso_code: 'GB', names: { en: 'United Kingdom' } },
  location: { accuracy_radius: 10, latitude: 51.5142, longitude: -0.0931, time_zone: 'Europe/London' },
  postal: { code: 'EC2V' },
  subdivisions: [
    { geoname_id: 6269131, iso_code: 'ENG', names: { en: 'England' } },
    { geoname_id: 3333218, iso_code: 'LND', names: { en: 'City of London' } },
  ],
}
const MAXMIND_CITY: MmdbNetwork[] = [
  { cidr: '81.2.69.0/24', data: LONDON },
  { cidr: '2001:db8::/32', data: { country: { geoname_id: 2921044, iso_code: 'DE', names: { en: 'Germany' } } } },
  { cidr: '175.16.199.0/24', data: { registered_country: { geoname_id: 1814991, iso_code: 'CN', names: { en: 'China' } } } },
]

let dir: string
const file = async (name: string, contents: Buffer) => {
  const path = join(dir, name)
  await writeFile(path, contents)
  return path
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'candor-mmdb-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('a MaxMind GeoIP2/GeoLite2-City file with a MaxMind ASN file', () => {
  for (const recordSize of [24, 28, 32] as const) {
    it(`reads country, first subdivision and city in English (${recordSize}-bit records)`, async () => {
      const cityPath = await file(`city-${recordSize}.mmdb`, writeMmdb({ ipVersion: 6, recordSize, databaseType: 'GeoIP2-City', networks: MAXMIND_CITY }))
      const asnPath = await file(`asn-${recordSize}.mmdb`, writeMmdb({
        ipVersion: 6,
        recordSize,
        databaseType: 'GeoLite2-ASN',
        networks: [
          { cidr: '81.2.69.0/24', data: { autonomous_system_number: 20712, autonomous_system_organization: 'Andrews & Arnold Ltd' } },
          { cidr: '2001:db8::/32', data: { autonomous_system_number: 64500, autonomous_system_organization: 'Documentation' } },
        ],
      }))
      const geo = await openGeo({ cityPaths: [cityPath], asnPath })
      const london = { countryCode: 'GB', region: 'England', city: 'London', asn: 20712, isp: 'Andrews & Arnold Ltd' }
      expect(geo.locate('81.2.69.160')).toEqual(london)
      expect(geo.locate('::ffff:81.2.69.160')).toEqual(london) // one IPv6 file answers IPv4 too
      expect(geo.locate('2001:db8::1')).toEqual({ countryCode: 'DE', region: '', city: '', asn: 64500, isp: 'Documentation' })
      expect(geo.locate('175.16.199.1').countryCode).toBe('') // registered, not located, country
      expect(geo.locate('8.8.8.8')).toEqual({ countryCode: '', region: '', city: '', asn: 0, isp: '' })
      geo.close()
    })
  }
})

describe('a GeoIP2-ISP file', () => {
  it('prefers the isp name, then the AS organisation, then the organisation', async () => {
    const asnPath = await file('isp.mmdb', writeMmdb({
      ipVersion: 6,
      databaseType: 'GeoIP2-ISP',
      networks: [
        { cidr: '5.2.0.0/16', data: { autonomous_system_number: 8708, autonomous_system_organization: 'RCS & RDS', isp: 'Digi Romania', organization: 'Digi Business' } },
        { cidr: '5.3.0.0/16', data: { autonomous_system_number: 8709, autonomous_system_organization: 'AS Org' } },
        { cidr: '5.4.0.0/16', data: { autonomous_system_number: 8710, organization: 'Only Org' } },
      ],
    }))
    const geo = await openGeo({ cityPaths: defaultGeoPaths(dir).cityPaths, asnPath })
    expect(geo.locate('5.2.1.1')).toMatchObject({ asn: 8708, isp: 'Digi Romania' })
    expect(geo.locate('5.3.1.1')).toMatchObject({ asn: 8709, isp: 'AS Org' })
    expect(geo.locate('5.4.1.1')).toMatchObject({ asn: 8710, isp: 'Only Org' })
    geo.close()
  })
})

describe('several city files', () => {
  it('asks IPv4 files first for IPv4, falls back to IPv6 files, and never sends IPv6 to an IPv4 file', async () => {
    const ipLocationV4 = await file('iplocation-v4.mmdb', writeMmdb({
      ipVersion: 4,
      databaseType: 'city ipv4',
      networks: [{ cidr: '81.2.69.0/24', data: { country_code: 'GB', state1: 'England', state2: 'Bracknell Forest', city: 'Bracknell' } }],
    }))
    const maxmindV6 = await file('maxmind-v6.mmdb', writeMmdb({ ipVersion: 6, databaseType: 'GeoIP2-City', networks: MAXMIND_CITY }))
    const cities = await openCityDatabases([maxmindV6, ipLocationV4])
    const words = (address: string) => {
      const bytes = ipv6Bytes(address)
      return Uint32Array.from([0, 1, 2, 3], (i) => bytes.slice(4 * i, 4 * i + 4).reduce((n, b) => n * 256 + b, 0))
    }
    expect(cities.locateV4(0x510245a0, '81.2.69.160')).toEqual({ countryCode: 'GB', region: 'England', city: 'Bracknell' })
    expect(cities.locateV6(words('2001:db8::1'), '2001:db8::1')).toEqual({ countryCode: 'DE', region: '', city: '' })
    // An IPv4 file's tree is 32 bits deep; an IPv6 address must not be walked into it.
    const v4Only = await openCityDatabases([ipLocationV4])
    expect(v4Only.locateV6(words('5102:45a0::'), '5102:45a0::')).toBeNull()
    // IPv4 not in the IPv4 file: the IPv6 file answers.
    const fallback = await openCityDatabases([
      await file('other-v4.mmdb', writeMmdb({ ipVersion: 4, databaseType: 'city ipv4', networks: [] })),
      maxmindV6,
    ])
    expect(fallback.locateV4(0x510245a0, '81.2.69.160')).toEqual({ countryCode: 'GB', region: 'England', city: 'London' })
  })

  it('rejects a file that is not an .mmdb', async () => {
    const path = await file('not.mmdb', Buffer.from('hello'))
    await expect(openCityDatabases([path])).rejects.toThrow(/not\.mmdb is not a readable \.mmdb city database/)
  })
})

describe('the tree walk in location.ts', () => {
  it('agrees with mmdb-lib on the real GeoLite2 files', async () => {
    const [v4Path, v6Path] = defaultGeoPaths(dir).cityPaths as [string, string]
    const cities = await openCityDatabases([v4Path, v6Path])
    const v4Reader = new Reader<Record<string, string>>(await readFile(v4Path))
    const v6Reader = new Reader<Record<string, string>>(await readFile(v6Path))
    const expected = (record: Record<string, string> | null) =>
      record && { countryCode: record.country_code, region: record.state1, city: record.city }

    let seed = 11
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0)
    const prefixes = [0x20010000, 0x24000000, 0x2a000000, 0x2a020000, 0x26000000, 0x28000000, 0x2c0f0000]
    let found4 = 0
    let found6 = 0
    for (let i = 0; i < 3000; i++) {
      const ip = random()
      const text = `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`
      const place = cities.locateV4(ip, text)
      expect(place, text).toEqual(expected(v4Reader.get(text)))
      if (place) found4++

      const words = Uint32Array.of((prefixes[i % prefixes.length]! | (random() & 0xffff)) >>> 0, random(), random(), random())
      const v6 = Array.from(words, (w) => `${(w >>> 16).toString(16)}:${(w & 0xffff).toString(16)}`).join(':')
      const v6Place = cities.locateV6(words, v6)
      expect(v6Place, v6).toEqual(expected(v6Reader.get(v6)))
      if (v6Place) found6++
    }
    // the sample really exercised both trees
    expect(found4).toBeGreaterThan(2000)
    expect(found6).toBeGreaterThan(1000)
  })
})
