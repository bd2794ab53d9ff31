/**
 * Builds the browser tracker with esbuild: tracker/t.ts -> script.js (the core, served as
 * /js/script.js and /t.js) and tracker/extras.ts -> extras.js (served as /js/extras.js).
 * Both are minified IIFEs for ES2017 browsers. scripts/build.ts and the size test import
 * buildTracker; `npx tsx tracker/build.ts` builds into dist/tracker.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const trackerDir = path.dirname(fileURLToPath(import.meta.url))

export interface TrackerBundles {
  /** path of the core bundle, script.js */
  core: string
  /** path of the extras bundle, extras.js */
  extras: string
}

export async function buildTracker(outDir: string): Promise<TrackerBundles> {
  const bundles: TrackerBundles = {
    core: path.join(outDir, 'script.js'),
    extras: path.join(outDir, 'extras.js'),
  }
  const entries = { core: 't.ts', extras: 'extras.ts' } as const
  await Promise.all(
    (Object.keys(entries) as (keyof TrackerBundles)[]).map((bundle) =>
      build({
        entryPoints: [path.join(trackerDir, entries[bundle])],
        outfile: bundles[bundle],
        bundle: true,
        format: 'iife',
        target: 'es2017',
        minify: true,
        legalComments: 'none',
        logLevel: 'warning',
        // instead of tsconfig.json, whose `strict` would prepend "use strict": bytes that buy
        // nothing inside an IIFE
        tsconfigRaw: { compilerOptions: { alwaysStrict: false } },
      }),
    ),
  )
  return bundles
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const bundles = await buildTracker(path.join(trackerDir, '..', 'dist', 'tracker'))
  console.log(`tracker built: ${bundles.core}, ${bundles.extras}`)
}
