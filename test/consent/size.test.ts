/**
 * The consent banner's byte budget (issue 4: smaller than vanilla-cookieconsent): every visitor of
 * every page downloads it, before anything else. The budget is the minified script plus its
 * stylesheet, each after gzip level 9, as they travel.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { buildConsent, type ConsentBundles } from '../../tracker/build.ts'

const BUDGET = 6_000

let outDir: string
let bundles: ConsentBundles

beforeAll(async () => {
  outDir = await mkdtemp(path.join(tmpdir(), 'candor-consent-size-'))
  bundles = await buildConsent(outDir)
})
afterAll(() => rm(outDir, { recursive: true, force: true }))

test('consent.js and consent.css together fit the gzip budget', async () => {
  const sizes = await Promise.all(
    (['js', 'css'] as const).map(async (part) => {
      const minified = await readFile(bundles[part])
      const gzipped = gzipSync(minified, { level: 9 }).length
      console.info(`consent.${part}: ${minified.length} bytes minified, ${gzipped} bytes gzip -9`)
      return gzipped
    }),
  )
  const total = sizes[0]! + sizes[1]!
  console.info(`consent banner: ${total} bytes gzip -9 (budget ${BUDGET})`)
  expect(total).toBeLessThanOrEqual(BUDGET)
})

test('the script carries no texts and nothing a strict CSP refuses', async () => {
  const script = await readFile(bundles.js, 'utf8')
  // the texts arrive with the site's configuration
  expect(script).not.toMatch(/Accept all|Reject all|Принять/)
  expect(script).not.toMatch(/\beval\(|new Function|innerHTML|\.style\b|setAttribute\("style"/)
})
