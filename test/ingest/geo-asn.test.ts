// The ASN file builder and reader on small hand-written CSVs: quoting, overlapping rows,
// deduplication, range edges, and the errors a bad source or a stale file produce.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAsnDatabase } from '../../server/ingest/geo/asn-build.ts'
import { openGeo, type Geo } from '../../server/ingest/geo/index.ts'
import { ipv6Bytes, writeMmdb } from './geo-mmdb-writer.ts'

const v4 = (address: string) => address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
const v6 = (address: string) => ipv6Bytes(address).reduce((n, byte) => (n << 8n) | BigInt(byte), 0n)

const IPV4_ROWS = [
  [v4('0.0.0.0'), v4('0.0.0.0'), 1, 'Zero'],
  [v4('1.0.0.0'), v4('1.0.0.255'), 13335, '"Cloudflare, Inc."'],
  [v4('2.0.0.0'), v4('2.0.255.255'), 100, 'Outer'],
  [v4('2.0.1.0'), v4('2.0.1.255'), 200, '"Inner ""quoted"" name"'], // nested in Outer
  [v4('3.0.0.0'), v4('3.0.0.255'), 300, 'A'],
  [v4('3.0.0.128'), v4('3.0.1.255'), 400, 'B'], // overlaps A's upper half and runs past it
  [v4('4.0.0.0'), v4('4.0.0.255'), 500, 'X'],
  [v4('4.0.0.0'), v4('4.0.0.15'), 501, 'X'], // same start, same name as AS500
  [v4('5.0.0.0'), v4('5.0.0.255'), 700, 'Same'],
  [v4('5.0.1.0'), v4('5.0.1.255'), 700, 'Same'], // adjacent, same network: merged
  [v4('6.0.0.0'), v4('6.0.0.255'), 800, 'Société Générale ­ Ltd'],
  [v4('255.255.255.0'), v4('255.255.255.255'), 4294967294, ''],
]
const IPV6_ROWS = [
  [v6('2001:db8::'), v6('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'), 64500, 'Doc'],
  [v6('2001:db8:1::5'), v6('2001:db8:1::5'), 64501, 'Single'],
  [v6('2606:4700::'), v6('2606:4700:ffff:ffff:ffff:ffff:ffff:ffff'), 13335, '"Cloudflare, Inc."'],
  [v6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00'), v6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), 64502, 'Top'],
]
const csv = (rows: unknown[][]) => rows.map((row) => row.join(',')).join('\n') + '\n'

let dir: string
let asnFile: string
let cityFile: string
let geo: Geo
let built: { ranges: number; bytes: number }

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'candor-asn-'))
  await writeFile(join(dir, 'v4.csv'), csv(IPV4_ROWS))
  await writeFile(join(dir, 'v6.csv'), csv(IPV6_ROWS))
  asnFile = join(dir, 'out', 'asn.bin')
  built = await buildAsnDatabase(asnFile, { ipv4Csv: join(dir, 'v4.csv'), ipv6Csv: join(dir, 'v6.csv') })
  cityFile = join(dir, 'city.mmdb')
  await writeFile(cityFile, writeMmdb({ ipVersion: 6, databaseType: 'GeoIP2-City', networks: [] }))
  geo = await openGeo({ cityPaths: [cityFile], asnPath: asnFile })
})

afterAll(async () => {
  geo?.close()
  await rm(dir, { recursive: true, force: true })
})

const network = (ip: string) => {
  const { asn, isp } = geo.locate(ip)
  return { asn, isp }
}

describe('buildAsnDatabase', () => {
  it('reports ranges and bytes, after splitting overlaps and merging neighbours', async () => {
    // IPv4: 12 rows, +1 as Outer resumes after Inner, -1 for the merge (AS501 takes AS500's head).
    // IPv6: 4 rows, +1 as Doc resumes after Single.
    expect(built.ranges).toBe(12 + 5)
    expect(built.bytes).toBe((await readFile(asnFile)).length)
  })

  it('deduplicates networks and organisation names across both families', async () => {
    const header = new DataView((await readFile(asnFile)).buffer)
    expect(header.getUint32(20, true)).toBe(14) // distinct (ASN, name): 11 IPv4 + 3 new IPv6
    expect(header.getUint32(24, true)).toBe(13) // distinct names: 'X' and Cloudflare once each
  })

  it('unquotes CSV names, keeping commas, quotes and UTF-8', () => {
    expect(network('1.0.0.1')).toEqual({ asn: 13335, isp: 'Cloudflare, Inc.' })
    expect(network('2606:4700::1')).toEqual({ asn: 13335, isp: 'Cloudflare, Inc.' })
    expect(network('2.0.1.1')).toEqual({ asn: 200, isp: 'Inner "quoted" name' })
    expect(network('6.0.0.1')).toEqual({ asn: 800, isp: 'Société Générale ­ Ltd' })
  })

  it('lets a later, overlapping row win and resumes the enclosing range after it', () => {
    expect(network('2.0.0.255').asn).toBe(100)
    expect(network('2.0.1.0').asn).toBe(200)
    expect(network('2.0.2.0').asn).toBe(100)
    expect(network('3.0.0.127').asn).toBe(300)
    expect(network('3.0.0.128').asn).toBe(400)
    expect(network('3.0.1.255').asn).toBe(400)
    expect(network('4.0.0.15')).toEqual({ asn: 501, isp: 'X' })
    expect(network('4.0.0.16')).toEqual({ asn: 500, isp: 'X' })
  })

  it('finds the edges of the address space and nothing in gaps', () => {
    expect(network('0.0.0.0')).toEqual({ asn: 1, isp: 'Zero' })
    expect(network('0.0.0.1')).toEqual({ asn: 0, isp: '' })
    expect(network('255.255.255.255')).toEqual({ asn: 4294967294, isp: '' })
    expect(network('5.0.1.200').asn).toBe(700)
    expect(network('7.0.0.1').asn).toBe(0)
    expect(network('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff').asn).toBe(64502)
    expect(network('ffff:ffff:ffff:ffff:ffff:ffff:ffff:feff').asn).toBe(0)
    expect(network('::').asn).toBe(0)
  })

  it('compares all 128 bits of IPv6 addresses', () => {
    expect(network('2001:db8:1::4').asn).toBe(64500)
    expect(network('2001:db8:1::5').asn).toBe(64501)
    expect(network('2001:db8:1::6').asn).toBe(64500)
    expect(network('2001:db8:1:0:0:0:0:5').asn).toBe(64501)
    expect(network('2001:db9::').asn).toBe(0)
    expect(network('2001:db7:ffff:ffff:ffff:ffff:ffff:ffff').asn).toBe(0)
  })

  it('reads every spelling of an IPv6 address the same way', () => {
    const spellings = ['2001:db8:1::5', '2001:DB8:1:0:0:0:0:5', '2001:0db8:0001:0000:0000:0000:0000:0005',
      '2001:db8:1::0:5', '2001:db8:1:0::5', '2001:db8:1::0.0.0.5', '2001:db8:1::5%eth0']
    for (const ip of spellings) expect(network(ip).asn, ip).toBe(64501)
  })

  it('looks IPv4-mapped addresses up as IPv4', () => {
    expect(network('::ffff:1.0.0.1').asn).toBe(13335)
    expect(network('::ffff:0100:0001').asn).toBe(13335)
  })

  it('rejects unsorted rows, non-numeric bounds and out-of-range values with the line', async () => {
    const build = async (rows: string) => {
      await writeFile(join(dir, 'bad.csv'), rows)
      return buildAsnDatabase(join(dir, 'bad.bin'), { ipv4Csv: join(dir, 'bad.csv'), ipv6Csv: join(dir, 'v6.csv') })
    }
    await expect(build('20,30,1,A\n10,15,2,B\n')).rejects.toThrow(/bad\.csv:2: rows must be sorted/)
    await expect(build('1.0.0.0,1.0.0.255,13335,Cloudflare\n')).rejects.toThrow(/bad\.csv:1: .*integer bounds/)
    await expect(build('0,4294967296,1,A\n')).rejects.toThrow(/bad\.csv:1/)
    await expect(build('10,5,1,A\n')).rejects.toThrow(/bad\.csv:1/)
  })
})

describe('opening the ASN file', () => {
  const open = (asnPath: string) => openGeo({ cityPaths: [cityFile], asnPath })

  it('refuses another format version and says to rebuild', async () => {
    const file = await readFile(asnFile)
    file.writeUInt32LE(99, 8)
    await writeFile(join(dir, 'v99.bin'), file)
    await expect(open(join(dir, 'v99.bin'))).rejects.toThrow(/version 99.*npm run build/)
  })

  it('refuses a truncated file', async () => {
    const file = await readFile(asnFile)
    await writeFile(join(dir, 'short.bin'), file.subarray(0, file.length - 1))
    await expect(open(join(dir, 'short.bin'))).rejects.toThrow(/short\.bin is truncated/)
    await writeFile(join(dir, 'header.bin'), file.subarray(0, 12))
    await expect(open(join(dir, 'header.bin'))).rejects.toThrow(/header\.bin is truncated/)
  })
})
