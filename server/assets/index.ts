// Browser files: the tracker and consent banner bundles (built into dist/tracker) and the
// dashboard (dist/dashboard: its page, app.js, app.css and hashed chunks). They are small and
// hot, so they are held in memory and answered with an ETag.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Type } from 'typebox'
import { notFound } from '../errors.ts'
import { distDir } from '../paths.ts'

interface Asset {
  readonly body: Buffer
  readonly etag: string
  readonly type: string
  readonly cacheControl: string
}

function load(path: string, type: string, cacheControl: string): Asset {
  if (!existsSync(path)) throw new Error(`${path} is missing; run \`npm run build\` (npm start does it when needed)`)
  const body = readFileSync(path)
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
  return { body, etag, type, cacheControl }
}

function serve(asset: Asset) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('etag', asset.etag).header('cache-control', asset.cacheControl).type(asset.type)
    if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send()
    return reply.send(asset.body)
  }
}

/** The dashboard page may run only its own scripts and styles, and may not be framed. */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

/** Client-side routes of the dashboard: each answers its page, and the app shows the route. */
const DASHBOARD_ROUTES = ['/', '/login', '/sites', '/sites/*', '/account', '/account/*', '/admin', '/admin/*', '/share/*']

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', html: 'text/html; charset=utf-8' }

/** The dashboard's files by name. Chunks are named by their content hash, so they may be kept a year. */
function loadDashboard(dir: string): Map<string, Asset> {
  if (!existsSync(join(dir, 'index.html'))) throw new Error(`${dir} is missing; run \`npm run build\` (npm start does it when needed)`)
  const files = new Map<string, Asset>()
  for (const name of readdirSync(dir)) {
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)]
    if (!type) continue
    const hashed = /-[A-Z0-9]{8}\.(js|css)$/.test(name)
    files.set(name, load(join(dir, name), type, hashed ? 'public, max-age=31536000, immutable' : 'no-cache'))
  }
  return files
}

export const assetsPlugin = fp(
  async (app) => {
    // Sites embed the tracker and the banner from another origin; an hour of caching lets fixes
    // reach them soon.
    const script = { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' }
    const tracker = load(join(distDir, 'tracker', 'script.js'), 'text/javascript; charset=utf-8', 'public, max-age=3600')
    const extras = load(join(distDir, 'tracker', 'extras.js'), 'text/javascript; charset=utf-8', 'public, max-age=3600')
    const banner = load(join(distDir, 'tracker', 'consent.js'), 'text/javascript; charset=utf-8', 'public, max-age=3600')
    const bannerStyle = load(join(distDir, 'tracker', 'consent.css'), 'text/css; charset=utf-8', 'public, max-age=3600')
    const dashboardFiles = loadDashboard(join(distDir, 'dashboard'))
    const dashboard = dashboardFiles.get('index.html')!
    const hidden = { schema: { hide: true } }
    for (const url of ['/js/script.js', '/t.js']) {
      app.get(url, hidden, async (request, reply) => serve(tracker)(request, reply.headers(script)))
    }
    app.get('/js/extras.js', hidden, async (request, reply) => serve(extras)(request, reply.headers(script)))
    app.get('/js/consent.js', hidden, async (request, reply) => serve(banner)(request, reply.headers(script)))
    app.get('/js/consent.css', hidden, async (request, reply) => serve(bannerStyle)(request, reply.headers(script)))
    const page = serve(dashboard)
    for (const url of DASHBOARD_ROUTES) {
      app.get(url, hidden, async (request, reply) =>
        page(request, reply.header('content-security-policy', DASHBOARD_CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin')),
      )
    }
    app.get('/dashboard/:file', { schema: { hide: true, params: Type.Object({ file: Type.String({ maxLength: 100 }) }) } }, async (request, reply) => {
      const { file } = request.params as { file: string }
      const asset = file === 'index.html' ? undefined : dashboardFiles.get(file)
      if (!asset) throw notFound('no such dashboard file')
      return serve(asset)(request, reply.header('x-content-type-options', 'nosniff'))
    })
  },
  { name: 'assets' },
)
