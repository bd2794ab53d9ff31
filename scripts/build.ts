// Builds what the server serves or reads and is not in git: the tracker bundles (dist/tracker)
// and the ASN database converted from @ip-location-db/asn (dist/geo/asn.bin).
// `npm run build` rebuilds all; `npm start` builds only what is missing.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildTracker } from '../tracker/build.ts'
import { buildAsnDatabase } from '../server/ingest/geo/asn-build.ts'
import { distDir } from '../server/paths.ts'

const outputs = {
  tracker: [join(distDir, 'tracker', 'script.js'), join(distDir, 'tracker', 'extras.js')],
  asn: [join(distDir, 'geo', 'asn.bin')],
}

export async function build(only: { tracker?: boolean; asn?: boolean } = { tracker: true, asn: true }): Promise<void> {
  if (only.tracker) await buildTracker(join(distDir, 'tracker'))
  if (only.asn) await buildAsnDatabase(join(distDir, 'geo', 'asn.bin'))
}

/** Builds the parts whose output is missing; returns their names. */
export async function ensureBuilt(): Promise<string[]> {
  const missing = (Object.keys(outputs) as Array<keyof typeof outputs>).filter((part) => outputs[part].some((file) => !existsSync(file)))
  if (missing.length > 0) await build(Object.fromEntries(missing.map((part) => [part, true])))
  return missing
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now()
  await build()
  console.log(`built dist/tracker and dist/geo/asn.bin in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}
