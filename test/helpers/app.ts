// Builds the real app on the embedded databases in a fresh DATA_DIR (and, for the server
// variant, on a temporary database at DATABASE_URL), with helpers to send events and read them back.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppOptions } from '../../server/app.ts'
import { loadConfig, type Config } from '../../server/config.ts'
import { createTemporaryDatabase, type TemporaryDatabase } from './postgres.ts'

export const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
export const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'
export const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'

export interface TestApp {
  readonly app: FastifyInstance
  readonly config: Config
  readonly dataDir: string
  /** Adds a site through the operator route and returns a Stats API key for it. */
  addSite(domain: string, options?: { aliases?: string[]; timezone?: string; retentionDays?: number }): Promise<string>
  /** Sends one event as a browser would (text/plain), from `ip` with `userAgent`. */
  send(payload: Record<string, unknown>, options?: { ip?: string; userAgent?: string; headers?: Record<string, string> }): Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>
  /** Waits until everything acknowledged is in ClickHouse. */
  flush(): Promise<void>
  /** Runs a Stats API query with the key. */
  query(key: string, body: Record<string, unknown>): Promise<{ statusCode: number; json: any }>
  /** Rows from ClickHouse (bound parameters only). */
  rows<T = Record<string, unknown>>(sql: string, params?: Record<string, unknown>): Promise<T[]>
  /** The operator token, for the admin routes. */
  readonly operatorToken: string
  close(): Promise<void>
}

export interface TestAppOptions extends AppOptions {
  /** 'server' runs Postgres on a temporary database at DATABASE_URL. */
  postgres?: 'pglite' | 'server'
  env?: Record<string, string>
  /** Reuse a data directory (restart tests). */
  dataDir?: string
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'candor-test-'))
  let database: TemporaryDatabase | null = null
  if (options.postgres === 'server') database = await createTemporaryDatabase()
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    TRUST_PROXY: 'true',
    RATE_LIMIT_PER_MINUTE: '100000',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...options.env,
  })
  const app = await buildApp(config, {
    writer: { intervalMs: 20, maxBackoffMs: 200 },
    ...options,
  })
  await app.ready()
  const operatorToken = app.dataDirLock?.token ?? ''
  const auth = { authorization: `Bearer ${operatorToken}` }

  return {
    app,
    config,
    dataDir,
    operatorToken,
    async addSite(domain, site = {}) {
      const added = await app.inject({ method: 'POST', url: '/api/admin/sites', headers: auth, payload: { domain, ...site } })
      if (added.statusCode !== 201) throw new Error(`adding ${domain}: ${added.statusCode} ${added.body}`)
      const key = await app.inject({ method: 'POST', url: `/api/admin/sites/${domain}/keys`, headers: auth })
      return key.json().key as string
    },
    async send(payload, { ip = '203.0.113.7', userAgent = CHROME, headers = {} } = {}) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/event',
        headers: { 'content-type': 'text/plain', 'user-agent': userAgent, 'x-forwarded-for': ip, ...headers },
        payload: JSON.stringify(payload),
      })
      return { statusCode: response.statusCode, headers: response.headers, body: response.body }
    },
    flush: () => app.ingest.writer.flushed(),
    async query(key, body) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v2/query',
        headers: { authorization: `Bearer ${key}` },
        payload: body,
      })
      return { statusCode: response.statusCode, json: response.json() }
    },
    async rows(sql, params = {}) {
      const result = await app.clickhouse.client.query({ query: sql, query_params: params, format: 'JSONEachRow' })
      return result.json()
    },
    async close() {
      await app.close()
      await database?.drop()
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
