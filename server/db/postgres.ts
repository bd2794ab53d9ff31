// One small Postgres interface over two engines: embedded PGlite by default, a `pg` pool when
// DATABASE_URL is set. Parameters are always `$n`; no value is ever spliced into SQL text.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config.ts'

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

export async function openPGlite(dataDir: string): Promise<Postgres> {
  mkdirSync(dataDir, { recursive: true })
  const { PGlite, types } = await import('@electric-sql/pglite')
  // Parse int8 like `pg` does not: as a JS number. Our int8 values (counts, ids) stay far below 2^53.
  const db = await PGlite.create(dataDir, {
    parsers: { [types.INT8]: (value: string) => Number(value) },
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
