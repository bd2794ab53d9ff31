// Reading the CSV zips the export routes answer: a minimal RFC 4180 reader, for tests only.
import { strFromU8, unzipSync } from 'fflate'

export function parseCsv(csv: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i]!
    if (quoted) {
      if (c === '"' && csv[i + 1] === '"') (field += '"'), i++
      else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') row.push(field), (field = '')
    else if (c === '\r' && csv[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++
    else field += c
  }
  return rows
}

/** A zip's files as text, and as rows of fields. */
export function readCsvZip(body: Buffer | Uint8Array): { text: Record<string, string>; rows: Record<string, string[][]> } {
  const text = Object.fromEntries(Object.entries(unzipSync(new Uint8Array(body))).map(([name, bytes]) => [name, strFromU8(bytes)]))
  return { text, rows: Object.fromEntries(Object.entries(text).map(([name, csv]) => [name, parseCsv(csv)])) }
}
