// Migrations: applied in order, each once, recorded; on PGlite, on the PostgreSQL server, and on
// the embedded ClickHouse. The cluster variant of every ClickHouse statement parses in ClickHouse.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config.ts'
import { openClickHouse } from '../../server/db/clickhouse.ts'
import { clusterStatements } from '../../server/db/cluster.ts'
import { migrateClickHouse, migratePostgres, readMigrations, schemaRoot, splitStatements } from '../../server/db/migrate.ts'
import { openPGlite, openPool } from '../../server/db/postgres.ts'
import { createTemporaryDatabase, explainSkip, serverUrl } from '../helpers/postgres.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'candor-migrations-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

const postgresFiles = readMigrations(join(schemaRoot, 'postgres')).map((m) => `${m.version}_${m.name}`)
const clickhouseFiles = readMigrations(join(schemaRoot, 'clickhouse')).map((m) => `${m.version}_${m.name}`)

it('reads NNN_name.sql files in order and splits statements at line-ending semicolons', () => {
  expect(postgresFiles[0]).toBe('1_sites')
  expect([...postgresFiles].sort((a, b) => parseInt(a) - parseInt(b))).toEqual(postgresFiles)
  expect(splitStatements('CREATE TABLE a (x int);\n-- only a comment;\nCREATE INDEX b ON a (x);\n')).toEqual([
    'CREATE TABLE a (x int)',
    'CREATE INDEX b ON a (x)',
  ])
})

describe('Postgres', () => {
  it('applies each migration once on PGlite', async () => {
    const pg = await openPGlite(join(dataDir, 'pglite'))
    try {
      expect(await migratePostgres(pg)).toEqual(postgresFiles)
      expect(await migratePostgres(pg)).toEqual([])
      const recorded = await pg.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
      expect(recorded.map((row) => row.version)).toEqual(postgresFiles.map((name) => parseInt(name)))
    } finally {
      await pg.close()
    }
  })

  describe.skipIf(!serverUrl)('on the PostgreSQL server at DATABASE_URL', () => {
    it('applies each migration once, also when two nodes start together', async () => {
      const database = await createTemporaryDatabase()
      const [a, b] = await Promise.all([openPool(database.url), openPool(database.url)])
      try {
        const [first, second] = await Promise.all([migratePostgres(a), migratePostgres(b)])
        expect([...first, ...second].sort()).toEqual([...postgresFiles].sort())
        expect(await migratePostgres(a)).toEqual([])
      } finally {
        await Promise.all([a.close(), b.close()])
        await database.drop()
      }
    })
  })
  if (!serverUrl) explainSkip()
})

describe('ClickHouse (embedded)', () => {
  it('applies each migration once, and every cluster-variant statement parses', async () => {
    const clickhouse = await openClickHouse(loadConfig({ DATA_DIR: dataDir }))
    try {
      expect(await migrateClickHouse(clickhouse)).toEqual(clickhouseFiles)
      expect(await migrateClickHouse(clickhouse)).toEqual([])
      const tables = await (await clickhouse.client.query({ query: 'SHOW TABLES', format: 'JSONEachRow' })).json<{ name: string }>()
      expect(tables.map((row) => row.name)).toEqual(expect.arrayContaining(['events', 'sessions', 'schema_migrations']))
      const engine = await (
        await clickhouse.client.query({ query: "SELECT engine_full FROM system.tables WHERE name = 'events' AND database = currentDatabase()", format: 'JSONEachRow' })
      ).json<{ engine_full: string }>()
      expect(engine[0]!.engine_full).toContain('non_replicated_deduplication_window')

      let parsed = 0
      for (const migration of readMigrations(join(schemaRoot, 'clickhouse'))) {
        for (const statement of migration.statements) {
          const variants = clusterStatements(statement, 'candor_cluster', 'candor')
          expect(variants.every((sql) => sql.includes('ON CLUSTER `candor_cluster`'))).toBe(true)
          for (const sql of variants) {
            // Parsing needs no cluster: EXPLAIN AST fails on a syntax error and nothing else.
            await clickhouse.client.query({ query: `EXPLAIN AST ${sql}`, format: 'TabSeparated' }).then((r) => r.text())
            parsed++
          }
        }
      }
      expect(parsed).toBeGreaterThanOrEqual(4)
    } finally {
      await clickhouse.close()
    }
  })

  it('upgrades an install from before 004: paths become LowCardinality and every row is kept', async () => {
    const clickhouse = await openClickHouse(loadConfig({ DATA_DIR: join(dataDir, 'upgrade') }))
    const before = mkdtempSync(join(tmpdir(), 'candor-migrations-before-'))
    try {
      for (const file of ['001_events.sql', '002_sessions.sql', '003_consent_records.sql']) {
        copyFileSync(join(schemaRoot, 'clickhouse', file), join(before, file))
      }
      expect(await migrateClickHouse(clickhouse, before)).toEqual(['1_events', '2_sessions', '3_consent_records'])
      // Rows keep their site's retention (a row with 0 days would be expired by the rewrite).
      await clickhouse.client.command({
        query: "INSERT INTO events (site_id, timestamp, name, pathname, visitor_id, session_id, retention_days) VALUES (1, '2026-03-10 10:00:00', 'pageview', '/', 1, 1, 3650), (1, '2026-03-10 10:01:00', 'pageview', '/pricing', 1, 1, 3650), (1, '2026-03-10 11:00:00', 'pageview', '/pricing', 2, 2, 3650)",
      })
      await clickhouse.client.command({
        query: "INSERT INTO sessions (sign, version, site_id, session_id, visitor_id, start, entry_page, exit_page, pageviews, retention_days) VALUES (1, 1, 1, 1, 1, '2026-03-10 10:00:00', '/', '/pricing', 2, 3650), (1, 1, 1, 2, 2, '2026-03-10 11:00:00', '/pricing', '/pricing', 1, 3650)",
      })
      expect(await migrateClickHouse(clickhouse)).toEqual(clickhouseFiles.slice(3))
      const read = async <T>(query: string) => (await clickhouse.client.query({ query, format: 'JSONEachRow' })).json<T>()
      const types = await read<{ table: string; name: string; type: string }>(
        "SELECT table, name, type FROM system.columns WHERE database = currentDatabase() AND name IN ('pathname', 'entry_page', 'exit_page') ORDER BY table, name",
      )
      expect(types).toEqual([
        { table: 'events', name: 'pathname', type: 'LowCardinality(String)' },
        { table: 'sessions', name: 'entry_page', type: 'LowCardinality(String)' },
        { table: 'sessions', name: 'exit_page', type: 'LowCardinality(String)' },
      ])
      expect(await read('SELECT pathname, count() AS n FROM events GROUP BY pathname ORDER BY pathname')).toEqual([
        { pathname: '/', n: 1 },
        { pathname: '/pricing', n: 2 },
      ])
      expect(await read('SELECT entry_page, exit_page, pageviews FROM sessions ORDER BY session_id')).toEqual([
        { entry_page: '/', exit_page: '/pricing', pageviews: 2 },
        { entry_page: '/pricing', exit_page: '/pricing', pageviews: 1 },
      ])
    } finally {
      await clickhouse.close()
      rmSync(before, { recursive: true, force: true })
    }
  })

  it('turns MergeTree tables into replicated local tables behind Distributed ones', () => {
    const [local, distributed] = clusterStatements(
      'CREATE TABLE IF NOT EXISTS sessions (\n -- shard key: session_id\n sign Int8, version UInt32, session_id UInt64\n) ENGINE = VersionedCollapsingMergeTree(sign, version) ORDER BY session_id SETTINGS non_replicated_deduplication_window = 10000',
      'c1',
      'candor',
    )
    expect(local).toContain("CREATE TABLE IF NOT EXISTS sessions_local ON CLUSTER `c1`")
    expect(local).toContain("ReplicatedVersionedCollapsingMergeTree('/clickhouse/tables/{shard}/candor/sessions_local', '{replica}', sign, version)")
    expect(local).not.toContain('non_replicated_deduplication_window')
    expect(distributed).toBe('CREATE TABLE IF NOT EXISTS sessions ON CLUSTER `c1` AS sessions_local ENGINE = Distributed(`c1`, candor, sessions_local, session_id)')
    expect(clusterStatements('ALTER TABLE events ADD COLUMN x String', 'c1', 'candor')).toEqual([
      'ALTER TABLE events_local ON CLUSTER `c1` ADD COLUMN x String',
      'ALTER TABLE events ON CLUSTER `c1` ADD COLUMN x String',
    ])
  })
})
