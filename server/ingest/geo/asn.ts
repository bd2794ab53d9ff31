// ASN and organisation ("ISP") of an IP address, from either Candor's compact ASN file (built by
// asn-build.ts from ip-location-db, the default) or a MaxMind GeoLite2-ASN / GeoIP2-ISP .mmdb.
// The file's first bytes decide which. Lookups are synchronous; the caller parses the address
// once (index.ts) and passes both its numeric form (for the compact file) and its text (for
// mmdb-lib). The compact file is searched in typed-array views of the file, allocating nothing.
import { open as openFile, readFile } from 'node:fs/promises'
import { endianness } from 'node:os'
import { open as openMmdb, type AsnResponse, type IspResponse } from 'maxmind'

export interface AsnNetwork {
  readonly asn: number
  readonly isp: string
}

export interface AsnDatabase {
  /** `ip` is the IPv4 address as an unsigned 32-bit number; `text` the same address, dotted. */
  lookupV4(ip: number, text: string): AsnNetwork
  /** `words` is the IPv6 address as four 32-bit words, most significant first; `text` the same. */
  lookupV6(words: Uint32Array, text: string): AsnNetwork
}

export const NO_NETWORK: AsnNetwork = Object.freeze({ asn: 0, isp: '' })

// --- The compact file's layout, shared with asn-build.ts (the format is documented there). ---

export const ASN_FILE_MAGIC = 'CandorAS'
export const ASN_FILE_VERSION = 1
export const ASN_HEADER_BYTES = 32

export interface AsnFileCounts {
  v4Ranges: number
  v6Ranges: number
  networks: number
  names: number
  nameBytes: number
}

/** Byte offset of every section, in file order, and the total file size. */
export function asnFileLayout(counts: AsnFileCounts) {
  let at = ASN_HEADER_BYTES
  const take = (bytes: number) => {
    const start = at
    at += bytes
    return start
  }
  return {
    v4Start: take(4 * counts.v4Ranges),
    v4End: take(4 * counts.v4Ranges),
    v4Network: take(4 * counts.v4Ranges),
    v6Start: take(16 * counts.v6Ranges),
    v6End: take(16 * counts.v6Ranges),
    v6Network: take(4 * counts.v6Ranges),
    networkAsn: take(4 * counts.networks),
    networkName: take(4 * counts.networks),
    nameOffset: take(4 * (counts.names + 1)),
    nameBlob: take(counts.nameBytes),
    total: at,
  }
}

/** Typed arrays are host-endian; the file is little-endian. Every platform Node ships on is. */
export function assertLittleEndianHost(): void {
  if (endianness() !== 'LE') throw new Error('the compact ASN file needs a little-endian host')
}

// --- Opening ---

export async function openAsnDatabase(path: string): Promise<AsnDatabase> {
  if ((await readMagic(path)) === ASN_FILE_MAGIC) return loadCompact(await readFile(path), path)
  try {
    return wrapMaxMind(await openMmdb<AsnResponse & Partial<IspResponse>>(path))
  } catch (error) {
    throw new Error(
      `${path} is neither a Candor ASN file nor a MaxMind ASN/ISP .mmdb (${(error as Error).message}); ` +
        'run `npm run build` to build dist/geo/asn.bin',
    )
  }
}

async function readMagic(path: string): Promise<string> {
  let handle
  try {
    handle = await openFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    throw new Error(
      `ASN database not found at ${path}: run \`npm run build\` to build dist/geo/asn.bin from ` +
        '@ip-location-db/asn, or set GEOIP_ASN_PATH to a MaxMind GeoLite2-ASN or GeoIP2-ISP .mmdb file',
    )
  }
  try {
    const head = Buffer.alloc(ASN_FILE_MAGIC.length)
    const { bytesRead } = await handle.read(head, 0, head.length, 0)
    return head.toString('latin1', 0, bytesRead)
  } finally {
    await handle.close()
  }
}

function wrapMaxMind(reader: { get(ip: string): (AsnResponse & Partial<IspResponse>) | null }): AsnDatabase {
  const lookup = (text: string): AsnNetwork => {
    const record = reader.get(text)
    if (!record) return NO_NETWORK
    return {
      asn: record.autonomous_system_number ?? 0,
      isp: record.isp || record.autonomous_system_organization || record.organization || '',
    }
  }
  return { lookupV4: (_ip, text) => lookup(text), lookupV6: (_words, text) => lookup(text) }
}

function loadCompact(file: Buffer, path: string): AsnDatabase {
  assertLittleEndianHost()
  const rebuild = 'run `npm run build` to rebuild it'
  if (file.length < ASN_HEADER_BYTES) throw new Error(`${path} is truncated; ${rebuild}`)
  const header = new DataView(file.buffer, file.byteOffset, ASN_HEADER_BYTES)
  const version = header.getUint32(8, true)
  if (version !== ASN_FILE_VERSION) {
    throw new Error(`${path} has ASN file version ${version}, this server reads ${ASN_FILE_VERSION}; ${rebuild}`)
  }
  const counts: AsnFileCounts = {
    v4Ranges: header.getUint32(12, true),
    v6Ranges: header.getUint32(16, true),
    networks: header.getUint32(20, true),
    names: header.getUint32(24, true),
    nameBytes: header.getUint32(28, true),
  }
  const layout = asnFileLayout(counts)
  if (layout.total !== file.length) throw new Error(`${path} is truncated or corrupt; ${rebuild}`)

  // Uint32Array views need 4-byte alignment; a fresh readFile buffer has it, a pooled one may not.
  const bytes = file.byteOffset % 4 === 0 ? file : Buffer.from(new Uint8Array(file).buffer)
  const u32 = (offset: number, length: number) => new Uint32Array(bytes.buffer, bytes.byteOffset + offset, length)
  return new CompactAsnDatabase(
    u32(layout.v4Start, counts.v4Ranges),
    u32(layout.v4End, counts.v4Ranges),
    u32(layout.v4Network, counts.v4Ranges),
    u32(layout.v6Start, 4 * counts.v6Ranges),
    u32(layout.v6End, 4 * counts.v6Ranges),
    u32(layout.v6Network, counts.v6Ranges),
    u32(layout.networkAsn, counts.networks),
    u32(layout.networkName, counts.networks),
    u32(layout.nameOffset, counts.names + 1),
    bytes.subarray(layout.nameBlob, layout.nameBlob + counts.nameBytes),
  )
}

class CompactAsnDatabase implements AsnDatabase {
  // Filled on first use, so only networks actually seen cost a string and an object.
  private readonly networks: (AsnNetwork | undefined)[]
  private readonly names: (string | undefined)[]

  constructor(
    private readonly v4Start: Uint32Array,
    private readonly v4End: Uint32Array,
    private readonly v4Network: Uint32Array,
    private readonly v6Start: Uint32Array,
    private readonly v6End: Uint32Array,
    private readonly v6Network: Uint32Array,
    private readonly networkAsn: Uint32Array,
    private readonly networkName: Uint32Array,
    private readonly nameOffset: Uint32Array,
    private readonly nameBlob: Buffer,
  ) {
    this.networks = new Array<AsnNetwork | undefined>(networkAsn.length)
    this.names = new Array<string | undefined>(nameOffset.length - 1)
  }

  lookupV4(ip: number): AsnNetwork {
    const starts = this.v4Start
    let low = 0
    let high = starts.length - 1
    let found = -1
    while (low <= high) {
      const mid = (low + high) >>> 1
      if (starts[mid]! <= ip) {
        found = mid
        low = mid + 1
      } else high = mid - 1
    }
    if (found < 0 || this.v4End[found]! < ip) return NO_NETWORK
    return this.network(this.v4Network[found]!)
  }

  lookupV6(words: Uint32Array): AsnNetwork {
    let low = 0
    let high = this.v6Network.length - 1
    let found = -1
    while (low <= high) {
      const mid = (low + high) >>> 1
      if (compareKey(this.v6Start, mid, words) <= 0) {
        found = mid
        low = mid + 1
      } else high = mid - 1
    }
    if (found < 0 || compareKey(this.v6End, found, words) < 0) return NO_NETWORK
    return this.network(this.v6Network[found]!)
  }

  private network(index: number): AsnNetwork {
    const cached = this.networks[index]
    if (cached) return cached
    const network = { asn: this.networkAsn[index]!, isp: this.name(this.networkName[index]!) }
    this.networks[index] = network
    return network
  }

  private name(index: number): string {
    let name = this.names[index]
    if (name === undefined) {
      name = this.nameBlob.toString('utf8', this.nameOffset[index]!, this.nameOffset[index + 1]!)
      this.names[index] = name
    }
    return name
  }
}

/** Sign of (key number `index` in `keys`) minus `words`, both 128-bit as four u32 words. */
function compareKey(keys: Uint32Array, index: number, words: Uint32Array): number {
  const at = index * 4
  for (let i = 0; i < 4; i++) {
    const difference = keys[at + i]! - words[i]!
    if (difference !== 0) return difference
  }
  return 0
}
