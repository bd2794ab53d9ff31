// Runs once before the test files: builds the browser bundles and the ASN file if missing, so
// every test file can start the real server.
import { ensureBuilt } from '../scripts/build.ts'

export default async function setup(): Promise<void> {
  await ensureBuilt()
}
