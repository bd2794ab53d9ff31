/**
 * Real-Chromium test helpers.
 *
 * launch() starts Chromium so that pages see an ordinary visitor (navigator.webdriver false, a
 * stock user agent) and every `*.test` host name resolves to 127.0.0.1; newContext() opens a
 * fresh profile. serveFixtures() serves fixture pages from 127.0.0.1 on a random port, so a page
 * can be opened as http://shop.test:PORT/..., and records every request it receives, e.g. the
 * tracker's events at a recording endpoint.
 */
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium } from 'playwright-core'

export const CHROMIUM_PATH = '/usr/bin/chromium'

/** A stock desktop Chrome: headless Chromium's own user agent says "HeadlessChrome". */
export const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

/** One browser per test file; one context per test. */
export function launch(executablePath = CHROMIUM_PATH): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      // with these two, navigator.webdriver is false, as for a visitor
      '--disable-blink-features=AutomationControlled',
      '--host-resolver-rules=MAP *.test 127.0.0.1',
    ],
    ignoreDefaultArgs: ['--enable-automation'],
  })
}

export function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ userAgent: USER_AGENT, locale: 'en-US', ...options })
}

export interface RecordedRequest {
  method: string
  /** the Host header's name, without the port: which site the browser thought it talked to */
  host: string
  /** path and query */
  url: string
  path: string
  headers: http.IncomingHttpHeaders
  body: string
}

export interface FixtureOptions {
  /** directory whose files are served, for GET, HEAD and POST (form targets) */
  root: string
  /** more paths, each served from a file anywhere, e.g. `{ '/js/script.js': 'dist/tracker/script.js' }` */
  files?: Record<string, string>
  /** paths answered 202 with `Access-Control-Allow-Origin: *` and not served: recording endpoints */
  endpoints?: string[]
  /**
   * `{{NAME}}` placeholders to replace in .html files, e.g. the origin the pages load the tracker
   * from; PORT is always set. A function gets the port, known only once the server listens.
   */
  vars?: Record<string, string> | ((port: number) => Record<string, string>)
}

export interface FixtureServer {
  port: number
  /** `http://HOST:PORT/path`, HOST defaulting to shop.test */
  url(pathname?: string, host?: string): string
  /** every request received, in arrival order */
  requests: RecordedRequest[]
  /** resolves once `count` requests match, with those requests; rejects after `timeout` ms */
  waitFor(match: (request: RecordedRequest) => boolean, count?: number, timeout?: number): Promise<RecordedRequest[]>
  close(): Promise<void>
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
}

export async function serveFixtures(options: FixtureOptions): Promise<FixtureServer> {
  const root = path.resolve(options.root)
  const endpoints = new Set(options.endpoints ?? [])
  const requests: RecordedRequest[] = []
  const waiters = new Set<() => void>()
  const vars: Record<string, string> = {}

  /** The file a path names: a mapped file, or one inside root (never outside it). */
  function fileFor(pathname: string): string | undefined {
    const mapped = options.files?.[pathname]
    if (mapped) return path.resolve(mapped)
    const file = path.join(root, decodeURIComponent(pathname))
    if (!file.startsWith(root + path.sep)) return undefined
    return file.endsWith(path.sep) ? path.join(file, 'index.html') : file
  }

  async function serveFile(pathname: string, response: http.ServerResponse): Promise<void> {
    const file = fileFor(pathname)
    const info = file === undefined ? undefined : await stat(file).catch(() => undefined)
    if (!file || !info?.isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream'
    if (file.endsWith('.html')) {
      const html = (await readFile(file, 'utf8')).replace(/\{\{(\w+)\}\}/g, (match, name: string) => vars[name] ?? match)
      response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(html)
      return
    }
    response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' })
    createReadStream(file).pipe(response)
  }

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const url = request.url ?? '/'
      const pathname = new URL(url, 'http://fixture').pathname
      requests.push({
        method: request.method ?? 'GET',
        host: (request.headers.host ?? '').replace(/:\d+$/, ''),
        url,
        path: pathname,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      })
      for (const wake of waiters) wake()

      if (endpoints.has(pathname)) {
        response.writeHead(request.method === 'OPTIONS' ? 204 : 202, {
          'access-control-allow-origin': '*',
          'access-control-allow-headers': 'content-type',
        })
        response.end()
        return
      }
      serveFile(pathname, response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error))
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const extraVars = typeof options.vars === 'function' ? options.vars(port) : options.vars
  Object.assign(vars, { PORT: String(port) }, extraVars)

  return {
    port,
    url: (pathname = '/', host = 'shop.test') => `http://${host}:${port}${pathname}`,
    requests,
    waitFor(match, count = 1, timeout = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const matched = requests.filter(match)
          if (matched.length < count) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(matched)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`waited ${timeout} ms for ${count} matching request(s), got ${requests.filter(match).length}`))
        }, timeout)
        waiters.add(check)
        check()
      })
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
