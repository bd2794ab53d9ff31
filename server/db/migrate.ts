// Applies schema/clickhouse/NNN_*.sql and schema/postgres/NNN_*.sql in order, each once, and records
// them in a schema_migrations table. This runner is the only place that bootstraps tables in code.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClickHouse } from './clickhouse.ts'
import { clusterStatements } from './cluster.ts'
import type { Postgres } from './postgres.ts'

export const schemaRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schema')

export interface Migration {
  readonly version: number
  readonly name: string
  readonly statements: readonly string[]
}

/** Reads NNN_name.sql files in version order; statements end with `;` at the end of a line. */
export function readMigrations(dir: string): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = /^(\d{3,})_([a-z0-9_]+)\.sql$/.exec(file)
      if (!match) throw new Error(`migration file name must be NNN_name.sql: ${join(dir, file)}`)
      return { version: Number(match[1]), name: match[2]!, statements: splitStatements(readFileSync(join(dir, file), 'utf8')) }
    })
    .sort((a, b) => a.version - b.version)
  migrations.forEach((migration, index) => {
    if (index > 0 && migration.version === migrations[index - 1]!.version) {
      throw new Error(`two migrations share version ${migration.version} in ${dir}`)
    }
  })
  return migrations
}

export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement.replace(/--.*$/gm, '').trim().length > 0)
}

/** Advisory lock key held while migrating, so several nodes can start at once. */
const MIGRATION_LOCK = 727001

export async function migratePostgres(pg: Postgres, dir = join(schemaRoot, 'postgres')): Promise<string[]> {
  // Nodes starting together would race on CREATE TABLE IF NOT EXISTS; the lock serialises them.
  await pg.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
  })
  const applied: string[] = []
  for (const migration of readMigrations(dir)) {
    const ran = await pg.transaction(async (tx) => {
      // Serialises nodes that start together; the lock ends with the transaction.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version])
      if (done.length > 0) return false
      for (const statement of migration.statements) await tx.query(statement)
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name])
      return true
    })
    if (ran) applied.push(`${migration.version}_${migration.name}`)
  }
  return applied
}

/**
 * ClickHouse DDL is not transactional: each file is written to be safe to run again (IF NOT EXISTS,
 * IF EXISTS), so a crash between a statement and its record only repeats harmless work.
 */
export async function migrateClickHouse(ch: ClickHouse, dir = join(schemaRoot, 'clickhouse')): Promise<string[]> {
  const run = (query: string) => ch.client.command({ query, clickhouse_settings: { alter_sync: '2' } })
  const bootstrap = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32,
    name String,
    applied_at DateTime DEFAULT now()
  ) ENGINE = ReplacingMergeTree ORDER BY version`
  for (const statement of ch.cluster ? clusterStatements(bootstrap, ch.cluster, ch.database) : [bootstrap]) {
    await run(statement)
  }
  const result = await ch.client.query({ query: 'SELECT version FROM schema_migrations FINAL', format: 'JSONEachRow' })
  const done = new Set((await result.json<{ version: number }>()).map((row) => Number(row.version)))
  const applied: string[] = []
  for (const migration of readMigrations(dir)) {
    if (done.has(migration.version)) continue
    for (const statement of migration.statements) {
      for (const query of ch.cluster ? clusterStatements(statement, ch.cluster, ch.database) : [statement]) {
        await run(query)
      }
    }
    await ch.client.insert({
      table: 'schema_migrations',
      values: [{ version: migration.version, name: migration.name }],
      format: 'JSONEachRow',
    })
    applied.push(`${migration.version}_${migration.name}`)
  }
  return applied
}
