// The databases as one Fastify plugin: takes the DATA_DIR lock when an embedded engine is used,
// opens ClickHouse and Postgres, applies migrations, and closes everything when the app closes.
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { openClickHouse, type ClickHouse, type ClickHouseOptions } from './clickhouse.ts'
import { acquireLock, type DataDirLock } from './lock.ts'
import { migrateClickHouse, migratePostgres } from './migrate.ts'
import { openPostgres, type Postgres } from './postgres.ts'

export type { ClickHouse, ClickHouseClient, InsertRows } from './clickhouse.ts'
export type { Postgres, Queryable } from './postgres.ts'
export { readLock, acquireLock, DataDirLockedError } from './lock.ts'

declare module 'fastify' {
  interface FastifyInstance {
    clickhouse: ClickHouse
    postgres: Postgres
    /** Held when an embedded database lives in DATA_DIR; null with two external servers. */
    dataDirLock: DataDirLock | null
  }
}

export interface Databases {
  clickhouse: ClickHouse
  postgres: Postgres
  lock: DataDirLock | null
  close(): Promise<void>
}

export const usesEmbeddedDatabase = (config: Config) => config.clickhouse.url === null || config.databaseUrl === null

/** Opens and migrates both databases; shared by the server and the CLI. */
export async function openDatabases(config: Config, options: ClickHouseOptions = {}): Promise<Databases> {
  const lock = usesEmbeddedDatabase(config) ? acquireLock(config.dataDir) : null
  let postgres: Postgres | undefined
  let clickhouse: ClickHouse | undefined
  try {
    postgres = await openPostgres(config)
    await migratePostgres(postgres)
    clickhouse = await openClickHouse(config, options)
    await migrateClickHouse(clickhouse)
  } catch (error) {
    await clickhouse?.close().catch(() => {})
    await postgres?.close().catch(() => {})
    lock?.release()
    throw error
  }
  const opened = { clickhouse, postgres }
  return {
    ...opened,
    lock,
    async close() {
      await Promise.allSettled([opened.clickhouse.close(), opened.postgres.close()])
      lock?.release()
    },
  }
}

export const databasesPlugin = fp<{ config: Config; clickhouse?: ClickHouseOptions }>(
  async (app, options) => {
    const databases = await openDatabases(options.config, options.clickhouse)
    app.decorate('clickhouse', databases.clickhouse)
    app.decorate('postgres', databases.postgres)
    app.decorate('dataDirLock', databases.lock)
    // Registered first, so it runs last: every context has stopped using the databases by then.
    app.addHook('onClose', () => databases.close())
  },
  { name: 'databases' },
)
