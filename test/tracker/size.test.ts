/**
 * The tracker's byte budget: every visitor downloads the core, so it must stay tiny. Budgets are
 * bytes of the minified bundles after gzip level 9.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { buildTracker, type TrackerBundles } from '../../tracker/build.ts'

const BUDGET: Record<keyof TrackerBundles, number> = { core: 1_200, extras: 1_000 }

describe('tracker size', () => {
  let outDir: string
  let bundles: TrackerBundles

  beforeAll(async () => {
    outDir = await mkdtemp(path.join(tmpdir(), 'candor-tracker-size-'))
    bundles = await buildTracker(outDir)
  })
  afterAll(() => rm(outDir, { recursive: true, force: true }))

  test.each(Object.keys(BUDGET) as (keyof TrackerBundles)[])('%s bundle fits its gzip budget', async (bundle) => {
    const minified = await readFile(bundles[bundle])
    const gzipped = gzipSync(minified, { level: 9 }).length
    console.info(`${bundle}: ${minified.length} bytes minified, ${gzipped} bytes gzip -9 (budget ${BUDGET[bundle]})`)
    expect(gzipped).toBeLessThanOrEqual(BUDGET[bundle])
  })
})
