// One factory for ClickHouse: embedded chDB in-process by default, a ClickHouse server over HTTP
// when CLICKHOUSE_URL is set. Both are the official @clickhouse/client; nothing else sees a difference.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import type { Config } from '../config.ts'

export type { ClickHouseClient }

export interface ClickHouse {
  /**
   * Reads, DDL and small writes. Embedded, `clickhouse_settings` given to one call stay set on the
   * connection for the following ones (chDB turns them into `SET`), so pass only harmless ones here.
   */
  readonly client: ClickHouseClient
  /**
   * Bulk inserts from the spool writer. Embedded, it is its own engine connection, because a chDB
   * connection keeps `SET` state (such as insert_deduplication_token) between statements.
   */
  readonly writer: ClickHouseClient
  readonly database: string
  readonly cluster: string | null
  readonly embedded: boolean
  close(): Promise<void>
}

export interface ClickHouseOptions {
  /** Wraps each connection, e.g. to inject faults in tests. */
  wrapWriter?: (client: ClickHouseClient) => ClickHouseClient
}

const requestSettings = {
  // Dates and 64-bit numbers come back as JSON numbers; visitor ids never leave the server.
  output_format_json_quote_64bit_integers: 0,
  date_time_input_format: 'best_effort',
} as const

export async function openClickHouse(config: Config, options: ClickHouseOptions = {}): Promise<ClickHouse> {
  const { url, database, cluster } = config.clickhouse
  const wrap = options.wrapWriter ?? ((client: ClickHouseClient) => client)
  if (url !== null) return openServer(config, wrap)

  // Embedded: chDB binds one data directory per process. A plain Session opened first carries the
  // engine's start-up arguments (the memory cap); connections to the same path then share its engine.
  const path = join(config.dataDir, 'clickhouse')
  mkdirSync(path, { recursive: true })
  const { Session } = await import('chdb')
  const { createChdbConnection } = await import('chdb/connection')
  const engine = new Session(path, {
    connectionArgs: [
      `--max_server_memory_usage=${config.clickhouse.embeddedMaxMemoryBytes}`,
      `--mark_cache_size=${Math.floor(config.clickhouse.embeddedMaxMemoryBytes / 16)}`,
      '--uncompressed_cache_size=0',
    ],
  })
  // chdb ships its Connection typed against @clickhouse/client-common, which @clickhouse/client
  // bundles under another path; the shapes are the same.
  type Connection = NonNullable<Parameters<typeof createClient>[0]>['connection']
  const connect = () =>
    createClient({ connection: createChdbConnection({ path }) as unknown as Connection, clickhouse_settings: requestSettings })
  const client = connect()
  const writer = connect()
  try {
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS {db:Identifier}', query_params: { db: database } })
    await client.command({ query: 'USE {db:Identifier}', query_params: { db: database } })
    await writer.command({ query: 'USE {db:Identifier}', query_params: { db: database } })
  } catch (error) {
    await Promise.allSettled([client.close(), writer.close()])
    engine.close()
    throw error
  }
  return {
    client,
    writer: wrap(writer),
    database,
    cluster: null,
    embedded: true,
    async close() {
      await Promise.allSettled([client.close(), writer.close()])
      engine.close()
      const { drainPending } = await import('chdb')
      await drainPending()
    },
  }

  async function openServer(config: Config, wrap: (c: ClickHouseClient) => ClickHouseClient): Promise<ClickHouse> {
    const common = {
      url: config.clickhouse.url!,
      username: config.clickhouse.user,
      password: config.clickhouse.password,
      clickhouse_settings: requestSettings,
      request_timeout: 60_000,
    }
    const bootstrap = createClient(common)
    try {
      await bootstrap.command({
        query: cluster
          ? 'CREATE DATABASE IF NOT EXISTS {db:Identifier} ON CLUSTER {cluster:Identifier}'
          : 'CREATE DATABASE IF NOT EXISTS {db:Identifier}',
        query_params: cluster ? { db: database, cluster } : { db: database },
      })
    } finally {
      await bootstrap.close()
    }
    const client = createClient({ ...common, database })
    return {
      client,
      writer: wrap(client),
      database,
      cluster,
      embedded: false,
      close: () => client.close(),
    }
  }
}
