// Builds what the server serves or reads and is not in git: the tracker and consent banner
// bundles (dist/tracker), the dashboard (dist/dashboard) and the ASN database converted from @ip-location-db/asn (dist/geo/asn.bin).
// `npm run build` rebuilds all; `npm start` (and the tests' global setup) builds what is missing,
// and the browser bundles again when their sources changed since, so no one runs a stale banner.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildTracker } from '../tracker/build.ts'
import { buildDashboard } from '../dashboard/build.ts'
import { buildAsnDatabase } from '../server/ingest/geo/asn-build.ts'
import { distDir, projectRoot } from '../server/paths.ts'

const outputs = {
  tracker: ['script.js', 'extras.js', 'consent.js', 'consent.css'].map((file) => join(distDir, 'tracker', file)),
  dashboard: ['index.html', 'app.js', 'app.css'].map((file) => join(distDir, 'dashboard', file)),
  asn: [join(distDir, 'geo', 'asn.bin')],
}
/** Source folders whose changes call for a rebuild (the ASN data changes only with its package). */
const sources: Partial<Record<keyof typeof outputs, string>> = { tracker: join(projectRoot, 'tracker'), dashboard: join(projectRoot, 'dashboard') }

export async function build(only: { tracker?: boolean; dashboard?: boolean; asn?: boolean } = { tracker: true, dashboard: true, asn: true }): Promise<void> {
  if (only.tracker) await buildTracker(join(distDir, 'tracker'))
  if (only.dashboard) await buildDashboard(join(distDir, 'dashboard'))
  if (only.asn) await buildAsnDatabase(join(distDir, 'geo', 'asn.bin'))
}

/** The newest modification time in a folder, its subfolders included (a removed file changes its folder's). */
function newest(dir: string): number {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).reduce((latest, name) => Math.max(latest, statSync(join(dir, name)).mtimeMs), 0)
}

function outdated(part: keyof typeof outputs): boolean {
  if (outputs[part].some((file) => !existsSync(file))) return true
  const source = sources[part]
  return source !== undefined && existsSync(source) && newest(source) > Math.min(...outputs[part].map((file) => statSync(file).mtimeMs))
}

/** Builds the parts whose output is missing or older than its sources; returns their names. */
export async function ensureBuilt(): Promise<string[]> {
  const stale = (Object.keys(outputs) as Array<keyof typeof outputs>).filter(outdated)
  if (stale.length > 0) await build(Object.fromEntries(stale.map((part) => [part, true])))
  return stale
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now()
  await build()
  console.log(`built dist/tracker, dist/dashboard and dist/geo/asn.bin in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}
