// Browser files: the tracker and consent banner bundles (built into dist/tracker) and the
// dashboard page. They are small and hot, so they are held in memory and answered with an ETag.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { distDir, projectRoot } from '../paths.ts'

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

export const assetsPlugin = fp(
  async (app) => {
    // Sites embed the tracker and the banner from another origin; an hour of caching lets fixes
    // reach them soon.
    const script = { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' }
    const tracker = load(join(distDir, 'tracker', 'script.js'), 'text/javascript; charset=utf-8', 'public, max-age=3600')
    const extras = load(join(distDir, 'tracker', 'extras.js'), 'text/javascript; charset=utf-8', 'public, max-age=3600')
    const banner = load(join(distDir, 'tracker', 'consent.js'), 'text/javascript; charset=utf-8', 'public, max-age=3600')
    const bannerStyle = load(join(distDir, 'tracker', 'consent.css'), 'text/css; charset=utf-8', 'public, max-age=3600')
    const dashboard = load(join(projectRoot, 'dashboard', 'index.html'), 'text/html; charset=utf-8', 'no-cache')
    const hidden = { schema: { hide: true } }
    for (const url of ['/js/script.js', '/t.js']) {
      app.get(url, hidden, async (request, reply) => serve(tracker)(request, reply.headers(script)))
    }
    app.get('/js/extras.js', hidden, async (request, reply) => serve(extras)(request, reply.headers(script)))
    app.get('/js/consent.js', hidden, async (request, reply) => serve(banner)(request, reply.headers(script)))
    app.get('/js/consent.css', hidden, async (request, reply) => serve(bannerStyle)(request, reply.headers(script)))
    app.get('/', hidden, serve(dashboard))
  },
  { name: 'assets' },
)
