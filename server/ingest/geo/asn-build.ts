// Build step: converts ip-location-db's ASN CSVs into the compact file asn.ts loads at start
// (dist/geo/asn.bin), so the server maps typed arrays instead of parsing 500k CSV rows.
//   npx tsx server/ingest/geo/asn-build.ts dist/geo/asn.bin
//
// Format, version 1. Every integer is a little-endian u32, every section starts 4-byte aligned.
//   bytes 0-7   magic "CandorAS"
//         8     version (1)
//        12     v4Ranges     IPv4 ranges
//        16     v6Ranges     IPv6 ranges
//        20     networks     distinct (ASN, organisation) pairs
//        24     names        distinct organisation names
//        28     nameBytes    size of the name blob
//   32, sections in this order (offsets: asnFileLayout in asn.ts):
//     v4Start[v4Ranges], v4End[v4Ranges]     inclusive bounds, ascending, ranges disjoint
//     v4Network[v4Ranges]                    index into the network table
//     v6Start[4*v6Ranges], v6End[4*v6Ranges] 128-bit bounds as 4 words, most significant first
//     v6Network[v6Ranges]
//     networkAsn[networks], networkName[networks]   ASN and index into the name table
//     nameOffset[names+1]                    byte offsets into the blob; name i is [i, i+1)
//     nameBlob[nameBytes]                    UTF-8 names, back to back
// A lookup binary-searches the starts for the last one <= ip, then checks its end.
import { createReadStream } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import {
  ASN_FILE_MAGIC,
  ASN_FILE_VERSION,
  asnFileLayout,
  assertLittleEndianHost,
  type AsnFileCounts,
} from './asn.ts'

export interface AsnCsvSources {
  ipv4Csv: string
  ipv6Csv: string
}

/** The -num.csv files of the installed @ip-location-db/asn package (integer range bounds). */
export function defaultAsnSources(): AsnCsvSources {
  const folder = dirname(createRequire(import.meta.url).resolve('@ip-location-db/asn/package.json'))
  return { ipv4Csv: join(folder, 'asn-ipv4-num.csv'), ipv6Csv: join(folder, 'asn-ipv6-num.csv') }
}

export async function buildAsnDatabase(
  outFile: string,
  sources: AsnCsvSources = defaultAsnSources(),
): Promise<{ ranges: number; bytes: number }> {
  assertLittleEndianHost()
  const networks = new NetworkTable()
  const v4 = await readRanges(sources.ipv4Csv, 32, networks)
  const v6 = await readRanges(sources.ipv6Csv, 128, networks)
  const names = Buffer.from(networks.names.join(''), 'utf8')
  const counts: AsnFileCounts = {
    v4Ranges: v4.network.length,
    v6Ranges: v6.network.length,
    networks: networks.asns.length,
    names: networks.names.length,
    nameBytes: names.length,
  }
  const layout = asnFileLayout(counts)
  const file = new Uint8Array(layout.total)
  const u32 = (offset: number, values: ArrayLike<number>) => new Uint32Array(file.buffer, offset, values.length).set(values)

  file.set(Buffer.from(ASN_FILE_MAGIC, 'latin1'), 0)
  u32(8, [ASN_FILE_VERSION, counts.v4Ranges, counts.v6Ranges, counts.networks, counts.names, counts.nameBytes])
  u32(layout.v4Start, v4.start)
  u32(layout.v4End, v4.end)
  u32(layout.v4Network, v4.network)
  u32(layout.v6Start, v6.start)
  u32(layout.v6End, v6.end)
  u32(layout.v6Network, v6.network)
  u32(layout.networkAsn, networks.asns)
  u32(layout.networkName, networks.nameOfNetwork)
  u32(layout.nameOffset, networks.nameOffsets())
  file.set(names, layout.nameBlob)

  // Write then rename, so a reader never sees half a file.
  await mkdir(dirname(resolve(outFile)), { recursive: true })
  const partial = `${outFile}.${process.pid}.partial`
  await writeFile(partial, file)
  await rename(partial, outFile)
  return { ranges: counts.v4Ranges + counts.v6Ranges, bytes: layout.total }
}

/** Deduplicates (ASN, organisation) pairs into networks and organisation names into a table. */
class NetworkTable {
  readonly asns: number[] = []
  readonly nameOfNetwork: number[] = []
  readonly names: string[] = []
  private readonly networkIndex = new Map<string, number>()
  private readonly nameIndex = new Map<string, number>()

  indexOf(asn: number, name: string): number {
    const key = `${asn}\t${name}`
    let index = this.networkIndex.get(key)
    if (index === undefined) {
      let nameIndex = this.nameIndex.get(name)
      if (nameIndex === undefined) {
        nameIndex = this.names.push(name) - 1
        this.nameIndex.set(name, nameIndex)
      }
      index = this.asns.push(asn) - 1
      this.nameOfNetwork.push(nameIndex)
      this.networkIndex.set(key, index)
    }
    return index
  }

  nameOffsets(): number[] {
    const offsets = [0]
    for (const name of this.names) offsets.push(offsets[offsets.length - 1]! + Buffer.byteLength(name, 'utf8'))
    return offsets
  }
}

interface Ranges {
  start: number[] // one word per IPv4 bound, four per IPv6 bound
  end: number[]
  network: number[]
}

/** Reads `start,end,asn,organisation` rows (integer bounds, sorted by start) into disjoint ranges. */
async function readRanges(csvPath: string, bits: 32 | 128, networks: NetworkTable): Promise<Ranges> {
  const ranges: Ranges = { start: [], end: [], network: [] }
  const words = bits / 32
  const pushWords = (to: number[], value: bigint) => {
    for (let shift = BigInt(bits - 32); shift >= 0n; shift -= 32n) to.push(Number((value >> shift) & 0xffffffffn))
  }
  let lastEnd = -1n
  let lastNetwork = -1
  const flattener = new RangeFlattener((start, end, network) => {
    if (network === lastNetwork && start === lastEnd + 1n) {
      ranges.end.length -= words // adjacent and same network: extend the previous range
    } else {
      pushWords(ranges.start, start)
      ranges.network.push(network)
    }
    pushWords(ranges.end, end)
    lastEnd = end
    lastNetwork = network
  })

  const input = createReadStream(csvPath)
  const max = (1n << BigInt(bits)) - 1n
  let lineNumber = 0
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      lineNumber++
      if (line === '') continue
      const row = parseRow(line)
      if (!row || row.start > row.end || row.end > max) {
        throw new Error(`${csvPath}:${lineNumber}: expected start,end,asn,organisation with integer bounds (the -num.csv files)`)
      }
      if (!flattener.add(row.start, row.end, networks.indexOf(row.asn, row.name))) {
        throw new Error(`${csvPath}:${lineNumber}: rows must be sorted by range start`)
      }
    }
  } finally {
    input.destroy()
  }
  flattener.finish()
  return ranges
}

const ROW = /^(\d+),(\d+),(\d+),(.*)$/

function parseRow(line: string): { start: bigint; end: bigint; asn: number; name: string } | null {
  const match = ROW.exec(line)
  if (!match) return null
  const asn = Number(match[3])
  if (asn > 0xffffffff) return null
  let name = match[4]!
  if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1).replaceAll('""', '"')
  return { start: BigInt(match[1]!), end: BigInt(match[2]!), asn, name }
}

/**
 * Turns ranges sorted by start, which may overlap, into disjoint ranges: where two overlap the
 * later row wins (in practice the more specific one), and an enclosing range resumes after it.
 */
class RangeFlattener {
  private readonly open: { next: bigint; end: bigint; network: number }[] = []
  private lastStart = -1n

  constructor(private readonly emit: (start: bigint, end: bigint, network: number) => void) {}

  /** False when `start` is out of order. */
  add(start: bigint, end: bigint, network: number): boolean {
    if (start < this.lastStart) return false
    this.lastStart = start
    this.closeBefore(start)
    const enclosing = this.open[this.open.length - 1]
    if (enclosing) {
      if (enclosing.next < start) this.emit(enclosing.next, start - 1n, enclosing.network)
      enclosing.next = start
    }
    this.open.push({ next: start, end, network })
    return true
  }

  finish(): void {
    this.closeBefore(-1n, true)
  }

  private closeBefore(start: bigint, all = false): void {
    for (let top = this.open.at(-1); top && (all || top.end < start); top = this.open.at(-1)) {
      if (top.next <= top.end) this.emit(top.next, top.end, top.network)
      this.open.pop()
      const below = this.open.at(-1)
      const coveredTo = top.next > top.end ? top.next : top.end + 1n
      if (below && below.next < coveredTo) below.next = coveredTo
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outFile = process.argv[2] ?? 'dist/geo/asn.bin'
  const began = performance.now()
  const { ranges, bytes } = await buildAsnDatabase(outFile)
  const seconds = ((performance.now() - began) / 1000).toFixed(1)
  console.log(`${outFile}: ${ranges} ranges, ${(bytes / 1048576).toFixed(1)} MiB, built in ${seconds} s`)
}
