/**
 * Builds the dashboard with esbuild: dashboard/src/main.tsx -> dist/dashboard/app.js (ESM, split:
 * pages loaded with import() become their own files, shared code goes to hashed chunks) and
 * app.css (every stylesheet the app imports), plus index.html. scripts/build.ts and the size test
 * call buildDashboard; the server serves the result (server/assets).
 */
import { copyFile, mkdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const dashboardDir = path.dirname(fileURLToPath(import.meta.url))

export interface DashboardBuild {
  outDir: string
  /** files (relative to outDir) the first screen loads: index.html, app.js, app.css and the chunks app.js imports statically */
  firstScreen: string[]
  /** every output file, relative to outDir */
  files: string[]
}

export async function buildDashboard(outDir: string): Promise<DashboardBuild> {
  // built beside, then swapped in: old chunks do not pile up, and a reader never sees half a build
  const staging = `${outDir}.build-${process.pid}`
  await rm(staging, { recursive: true, force: true })
  await mkdir(staging, { recursive: true })
  const result = await build({
    entryPoints: { app: path.join(dashboardDir, 'src', 'main.tsx') },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    // the lazily loaded pages keep a readable name; shared chunks are named by their content
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    assetNames: 'asset-[hash]',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
  }).catch(async (error: unknown) => {
    await rm(staging, { recursive: true, force: true })
    throw error
  })
  await copyFile(path.join(dashboardDir, 'index.html'), path.join(staging, 'index.html'))
  await rm(outDir, { recursive: true, force: true })
  await rename(staging, outDir)
  const outputs = result.metafile.outputs
  const relative = (file: string) => path.relative(staging, path.resolve(file)).split(path.sep).join('/')
  const byName = new Map(Object.entries(outputs).map(([file, output]) => [relative(file), output]))
  // app.js and what it imports statically, transitively: what the browser fetches before anything shows
  const first = new Set<string>(['index.html', 'app.css'])
  const walk = (name: string) => {
    if (first.has(name)) return
    first.add(name)
    for (const imported of byName.get(name)?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) walk(relative(imported.path))
    }
  }
  walk('app.js')
  return { outDir, firstScreen: [...first], files: ['index.html', ...byName.keys()] }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await buildDashboard(path.join(dashboardDir, '..', 'dist', 'dashboard'))
  console.log(built.files.join('\n'))
}
