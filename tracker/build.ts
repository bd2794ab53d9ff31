/**
 * Builds the browser code with esbuild: tracker/t.ts -> script.js (the core, served as
 * /js/script.js and /t.js), tracker/extras.ts -> extras.js (served as /js/extras.js), and the
 * consent banner, tracker/consent/banner.ts -> consent.js and banner.css -> consent.css (served as
 * /js/consent.js and /js/consent.css). The scripts are minified IIFEs for ES2017 browsers.
 * scripts/build.ts and the size tests import buildTracker and buildConsent;
 * `npx tsx tracker/build.ts` builds into dist/tracker.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type BuildOptions } from 'esbuild'

const trackerDir = path.dirname(fileURLToPath(import.meta.url))

export interface TrackerBundles {
  /** path of the core bundle, script.js */
  core: string
  /** path of the extras bundle, extras.js */
  extras: string
}

export interface ConsentBundles {
  /** path of the banner script, consent.js */
  js: string
  /** path of its stylesheet, consent.css */
  css: string
}

const minified: BuildOptions = {
  bundle: true,
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
}

function buildScript(entry: string, outfile: string) {
  return build({
    ...minified,
    entryPoints: [path.join(trackerDir, entry)],
    outfile,
    format: 'iife',
    target: 'es2017',
    // instead of tsconfig.json, whose `strict` would prepend "use strict": bytes that buy
    // nothing inside an IIFE
    tsconfigRaw: { compilerOptions: { alwaysStrict: false } },
  })
}

/** The banner: consent.js and consent.css. */
export async function buildConsent(outDir: string): Promise<ConsentBundles> {
  const bundles = { js: path.join(outDir, 'consent.js'), css: path.join(outDir, 'consent.css') }
  await Promise.all([
    buildScript(path.join('consent', 'banner.ts'), bundles.js),
    build({
      ...minified,
      entryPoints: [path.join(trackerDir, 'consent', 'banner.css')],
      outfile: bundles.css,
      // the browsers of ES2017, so the minifier does not merge properties into newer shorthands (inset)
      target: ['chrome58', 'edge79', 'firefox57', 'safari11'],
    }),
  ])
  return bundles
}

/** Everything served under /js/: the tracker's two bundles and the banner's. */
export async function buildTracker(outDir: string): Promise<TrackerBundles & { consent: ConsentBundles }> {
  const bundles: TrackerBundles = {
    core: path.join(outDir, 'script.js'),
    extras: path.join(outDir, 'extras.js'),
  }
  const entries = { core: 't.ts', extras: 'extras.ts' } as const
  const [consent] = await Promise.all([
    buildConsent(outDir),
    ...(Object.keys(entries) as (keyof TrackerBundles)[]).map((bundle) => buildScript(entries[bundle], bundles[bundle])),
  ])
  return { ...bundles, consent }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const bundles = await buildTracker(path.join(trackerDir, '..', 'dist', 'tracker'))
  console.log(`tracker built: ${bundles.core}, ${bundles.extras}, ${bundles.consent.js}, ${bundles.consent.css}`)
}
