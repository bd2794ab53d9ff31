// Test helper: writes small MaxMind DB (.mmdb) files, so the geo tests can check MaxMind's own
// record schemas (GeoIP2-City, GeoLite2-ASN, GeoIP2-ISP) without shipping a licensed database.
// Follows the MaxMind DB format 2.0 spec: search tree, 16 zero bytes, data section, metadata.
import { isIPv4 } from 'node:net'

export type MmdbValue = string | number | boolean | MmdbValue[] | { [key: string]: MmdbValue }

export interface MmdbNetwork {
  /** e.g. '81.2.69.0/24' or '2001:db8::/32'; in an IPv6 file IPv4 networks go under ::/96. */
  cidr: string
  data: MmdbValue
}

export interface MmdbOptions {
  ipVersion: 4 | 6
  recordSize?: 24 | 28 | 32
  databaseType: string
  networks: MmdbNetwork[]
}

export function writeMmdb({ ipVersion, recordSize = 24, databaseType, networks }: MmdbOptions): Buffer {
  const tree: [Slot, Slot][] = [[EMPTY, EMPTY]]
  const data: Buffer[] = []
  let dataBytes = 0
  for (const { cidr, data: value } of networks) {
    const encoded = encode(value)
    insert(tree, networkBits(cidr, ipVersion), { data: dataBytes })
    data.push(encoded)
    dataBytes += encoded.length
  }
  const nodeCount = tree.length
  const recordValue = (slot: Slot) =>
    slot === EMPTY ? nodeCount : typeof slot === 'number' ? slot : nodeCount + 16 + slot.data
  const nodeBytes = recordSize / 4
  const treeBuffer = Buffer.alloc(nodeCount * nodeBytes)
  tree.forEach(([left, right], node) => writeNode(treeBuffer, node * nodeBytes, recordSize, recordValue(left), recordValue(right)))

  const metadata = encode({
    node_count: nodeCount,
    record_size: recordSize,
    ip_version: ipVersion,
    database_type: databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000,
    description: { en: `Candor test ${databaseType}` },
  })
  const marker = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex')
  return Buffer.concat([treeBuffer, Buffer.alloc(16), ...data, marker, metadata])
}

// A record: another node (its index), a data offset, or nothing.
type Slot = number | { data: number } | typeof EMPTY
const EMPTY = Symbol('empty')

function insert(tree: [Slot, Slot][], bits: number[], leaf: { data: number }): void {
  let node = 0
  bits.forEach((bit, depth) => {
    const records = tree[node]!
    if (depth === bits.length - 1) {
      records[bit] = leaf
      return
    }
    let next = records[bit]!
    if (next === EMPTY) {
      next = tree.push([EMPTY, EMPTY]) - 1
      records[bit] = next
    }
    if (typeof next !== 'number') throw new Error('nested networks are not supported by this writer')
    node = next
  })
}

function networkBits(cidr: string, ipVersion: 4 | 6): number[] {
  const [address = '', prefixText = ''] = cidr.split('/')
  const prefix = Number(prefixText)
  let bytes: number[]
  if (isIPv4(address)) {
    bytes = address.split('.').map(Number)
    if (ipVersion === 6) return [...new Array<number>(96).fill(0), ...toBits(bytes).slice(0, prefix)]
  } else {
    bytes = ipv6Bytes(address)
  }
  return toBits(bytes).slice(0, prefix)
}

function toBits(bytes: number[]): number[] {
  return bytes.flatMap((byte) => [7, 6, 5, 4, 3, 2, 1, 0].map((shift) => (byte >> shift) & 1))
}

/** The 16 bytes of an IPv6 address written without an embedded dotted quad. */
export function ipv6Bytes(address: string): number[] {
  const [head = '', tail] = address.split('::')
  const groups = (part: string) => (part ? part.split(':').map((g) => parseInt(g, 16)) : [])
  const before = groups(head)
  const after = tail === undefined ? [] : groups(tail)
  const all = [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after]
  return all.flatMap((group) => [group >> 8, group & 255])
}

function writeNode(buffer: Buffer, at: number, recordSize: number, left: number, right: number): void {
  if (recordSize === 24) {
    buffer.writeUIntBE(left, at, 3)
    buffer.writeUIntBE(right, at + 3, 3)
  } else if (recordSize === 28) {
    buffer.writeUIntBE(left & 0xffffff, at, 3)
    buffer[at + 3] = ((left >>> 24) << 4) | (right >>> 24)
    buffer.writeUIntBE(right & 0xffffff, at + 4, 3)
  } else {
    buffer.writeUInt32BE(left, at)
    buffer.writeUInt32BE(right, at + 4)
  }
}

// Data section types (spec section "Output Data Section").
const UTF8 = 2
const DOUBLE = 3
const UINT32 = 6
const MAP = 7
const ARRAY = 11
const BOOLEAN = 14

function encode(value: MmdbValue): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8')
    return Buffer.concat([control(UTF8, bytes.length), bytes])
  }
  if (typeof value === 'boolean') return control(BOOLEAN, value ? 1 : 0)
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) {
      const bytes: number[] = []
      for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
      return Buffer.concat([control(UINT32, bytes.length), Buffer.from(bytes)])
    }
    const bytes = Buffer.alloc(8)
    bytes.writeDoubleBE(value)
    return Buffer.concat([control(DOUBLE, 8), bytes])
  }
  if (Array.isArray(value)) return Buffer.concat([control(ARRAY, value.length), ...value.map(encode)])
  const entries = Object.entries(value)
  return Buffer.concat([control(MAP, entries.length), ...entries.flatMap(([key, item]) => [encode(key), encode(item)])])
}

/** Control byte(s): type in the top 3 bits (or 0 and an extended-type byte), then the size. */
function control(type: number, size: number): Buffer {
  const sizeBits = size < 29 ? size : size < 285 ? 29 : 30
  const extra = size < 29 ? [] : size < 285 ? [size - 29] : [(size - 285) >> 8, (size - 285) & 255]
  const typeBytes = type <= 7 ? [(type << 5) | sizeBits] : [sizeBits, type - 7]
  return Buffer.from([...typeBytes, ...extra])
}
