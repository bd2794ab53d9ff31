// The dashboard's first screen — the page, app.js, app.css and the chunks app.js imports
// statically (not the pages loaded with import()) — stays within 60 KB gzip.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, expect, test } from 'vitest'
import { buildDashboard } from '../../dashboard/build.ts'

const BUDGET = 60_000
const dir = mkdtempSync(join(tmpdir(), 'candor-dashboard-size-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('the first screen is at most 60,000 bytes gzip', async () => {
  const built = await buildDashboard(join(dir, 'out'))
  expect(built.firstScreen).toEqual(expect.arrayContaining(['index.html', 'app.js', 'app.css']))
  const sizes = built.firstScreen.map((file) => [file, gzipSync(readFileSync(join(built.outDir, file)), { level: 9 }).length] as const)
  const total = sizes.reduce((sum, [, bytes]) => sum + bytes, 0)
  console.log(`dashboard first screen: ${total} bytes gzip (${sizes.map(([f, b]) => `${f} ${b}`).join(', ')})`)
  expect(total).toBeLessThanOrEqual(BUDGET)
  // the lazily loaded pages and the map are not in it
  const lazy = built.files.filter((file) => file.endsWith('.js') && !built.firstScreen.includes(file))
  expect(lazy.length).toBeGreaterThanOrEqual(6)
  // every style is in app.css: esbuild would write a lazy page's own CSS import to a file nothing loads
  expect(built.files.filter((file) => file.endsWith('.css'))).toEqual(['app.css'])
})
