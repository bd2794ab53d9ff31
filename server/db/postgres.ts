// One small Postgres interface over two engines: embedded PGlite by default, a `pg` pool when
// DATABASE_URL is set. Parameters are always `$n`; no value is ever spliced into SQL text.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config.ts'
import { projectRoot } from '../paths.ts'

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>
}

export interface Postgres extends Queryable {
  /** Runs `work` in one transaction; a thrown error rolls it back. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>
  readonly embedded: boolean
  close(): Promise<void>
}

export async function openPostgres(config: Config): Promise<Postgres> {
  return config.databaseUrl === null
    ? openPGlite(join(config.dataDir, 'postgres'))
    : openPool(config.databaseUrl)
}

/**
 * PGlite runs Postgres in WebAssembly, whose memory only grows. Small buffers keep it small (our
 * Postgres tables are small: sites, keys, salts), and the one-time initdb, which needs several
 * hundred megabytes, runs in a short-lived child process so that memory never lands in the server.
 */
const PGLITE_SETTINGS = ['-c', 'shared_buffers=16MB', '-c', 'temp_buffers=4MB', '-c', 'work_mem=4MB']

async function initialisePGlite(dataDir: string): Promise<void> {
  // Run from the project root, so the child resolves the same installed package.
  const script = "const { PGlite } = await import('@electric-sql/pglite'); await (await PGlite.create(process.argv[1])).close()"
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dataDir], {
      cwd: projectRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let errors = ''
    child.stderr.on('data', (chunk) => (errors += chunk))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`creating the PGlite database in ${dataDir} failed: ${errors.trim()}`))))
  })
}

export async function openPGlite(dataDir: string): Promise<Postgres> {
  mkdirSync(dataDir, { recursive: true })
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialisePGlite(dataDir)
  const { PGlite, types } = await import('@electric-sql/pglite')
  // Parse int8 like `pg` does not: as a JS number. Our int8 values (counts, ids) stay far below 2^53.
  const db = await PGlite.create(dataDir, {
    parsers: { [types.INT8]: (value: string) => Number(value) },
    startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS],
  })
  const run = async <Row>(target: { query: typeof db.query }, sql: string, params?: readonly unknown[]) =>
    (await target.query<Row>(sql, params as unknown[] | undefined)).rows
  return {
    embedded: true,
    query: (sql, params) => run(db, sql, params),
    transaction: (work) => db.transaction((tx) => work({ query: (sql, params) => run(tx, sql, params) })),
    close: () => db.close(),
  }
}

export async function openPool(connectionString: string): Promise<Postgres> {
  const pg = (await import('pg')).default
  pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value))
  const pool = new pg.Pool({ connectionString, max: 10 })
  // An idle client that loses its connection emits 'error' on the pool; without a listener that
  // would crash the process. The next query reconnects.
  pool.on('error', () => {})
  await pool.query('SELECT 1')
  return {
    embedded: false,
    query: async (sql, params) => (await pool.query(sql, params as unknown[] | undefined)).rows,
    transaction: async (work) => {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const result = await work({
          query: async (sql, params) => (await client.query(sql, params as unknown[] | undefined)).rows,
        })
        await client.query('COMMIT')
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release()
      }
    },
    close: () => pool.end(),
  }
}
