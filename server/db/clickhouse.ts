// One factory for ClickHouse: embedded chDB in-process by default, a ClickHouse server over HTTP
// when CLICKHOUSE_URL is set. Reads go through the official @clickhouse/client either way; bulk
// inserts go through `insertRows`, which hands the spool's bytes to the engine without copies.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import type { Config } from '../config.ts'

export type { ClickHouseClient }

/** Inserts rows (JSONCompactEachRow, values in `columns` order) into a table, once per deduplication token. */
export type InsertRows = (table: string, columns: readonly string[], rows: Buffer, token: string) => Promise<void>

export interface ClickHouse {
  /**
   * Reads, DDL and small writes. Embedded, `clickhouse_settings` given to one call stay set on the
   * connection for the following ones (chDB turns them into `SET`), so pass only harmless ones here.
   */
  readonly client: ClickHouseClient
  /** Bulk inserts of the spool writer. */
  readonly insertRows: InsertRows
  readonly database: string
  readonly cluster: string | null
  readonly embedded: boolean
  close(): Promise<void>
}

export interface ClickHouseOptions {
  /** Wraps the bulk insert, e.g. to inject faults in tests. */
  wrapInsert?: (insert: InsertRows) => InsertRows
}

const requestSettings = {
  // Dates and 64-bit numbers come back as JSON numbers; visitor ids never leave the server.
  output_format_json_quote_64bit_integers: 0,
  date_time_input_format: 'best_effort',
  // A filter on the events of a visit is `session_id IN (subquery)` over sessions. With a million
  // visits in the set, preparing it for primary-key analysis costs more than the index could save
  // (session_id is not a key prefix): above 10,000 values the set only filters rows.
  use_index_for_in_with_subqueries_max_values: '10000',
  // A dashboard query reads most rows of its site's range (the primary key already narrows to the
  // site and days); PREWHERE's step-by-step reading then costs more than the columns it skips. On
  // 10M events the first screen takes 982 ms instead of 1,121 without it (bench/first-screen.ts).
  optimize_move_to_prewhere: 0,
} as const

/** Every spool batch is inserted synchronously and deduplicated by its token. */
const insertSettings = (token: string, distributed: boolean) => ({
  insert_deduplicate: 1 as const,
  insert_deduplication_token: token,
  async_insert: 0 as const,
  // A Distributed table must forward the token to the replicas as part of the insert.
  ...(distributed ? { distributed_foreground_insert: 1 as const } : {}),
})

/** Table and column names come from our own code; checked anyway because they are spliced into the INSERT. */
function identifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not an identifier: ${name}`)
  return name
}

export async function openClickHouse(config: Config, options: ClickHouseOptions = {}): Promise<ClickHouse> {
  const wrap = options.wrapInsert ?? ((insert: InsertRows) => insert)
  return config.clickhouse.url === null ? openEmbedded(config, wrap) : openServer(config, wrap)
}

async function openEmbedded(config: Config, wrap: (insert: InsertRows) => InsertRows): Promise<ClickHouse> {
  const { database, embeddedMaxMemoryBytes } = config.clickhouse
  // chDB binds one data directory per process. A plain Session opened first carries the engine's
  // start-up arguments; connections to the same path then share its engine.
  const path = join(config.dataDir, 'clickhouse')
  mkdirSync(path, { recursive: true })
  const { Session } = await import('chdb')
  const { createChdbConnection } = await import('chdb/connection')
  const cache = Math.floor(embeddedMaxMemoryBytes / 32)
  const engine = new Session(path, {
    connectionArgs: [
      `--max_server_memory_usage=${embeddedMaxMemoryBytes}`,
      // The server defaults size caches for a machine of its own (gigabytes each); in-process we
      // keep them to a fraction of the memory cap.
      `--mark_cache_size=${cache}`,
      `--primary_index_cache_size=${cache}`,
      `--index_mark_cache_size=${cache}`,
      `--query_condition_cache_size=${cache}`,
      `--compiled_expression_cache_size=${cache}`,
      '--uncompressed_cache_size=0',
      '--index_uncompressed_cache_size=0',
    ],
  })
  // chdb types its Connection against @clickhouse/client-common, which @clickhouse/client
  // bundles under another path; the shapes are the same.
  type Connection = NonNullable<Parameters<typeof createClient>[0]>['connection']
  const readerConnection = createChdbConnection({ path })
  const writerConnection = createChdbConnection({ path })
  const client = createClient({ connection: readerConnection as unknown as Connection, clickhouse_settings: requestSettings })
  try {
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS {db:Identifier}', query_params: { db: database } })
    await client.command({ query: 'USE {db:Identifier}', query_params: { db: database } })
    // The writer has its own engine connection, with no SET state from reads.
    await writerConnection.chdb.queryAsync(`USE ${database}`)
  } catch (error) {
    await Promise.allSettled([client.close(), writerConnection.close()])
    engine.close()
    throw error
  }
  const insertRows: InsertRows = async (table, columns, rows, token) => {
    // Raw passthrough: the bytes go to the engine zero-copy and are parsed off the event loop;
    // the settings belong to this INSERT statement only.
    await writerConnection.chdb.rawInsert({
      table: identifier(table),
      columns: columns.map(identifier),
      values: rows,
      format: 'JSONCompactEachRow',
      settings: insertSettings(token, false),
    })
  }
  return {
    client,
    insertRows: wrap(insertRows),
    database,
    cluster: null,
    embedded: true,
    async close() {
      await Promise.allSettled([client.close(), writerConnection.close()])
      engine.close()
      const { drainPending } = await import('chdb')
      await drainPending()
    },
  }
}

async function openServer(config: Config, wrap: (insert: InsertRows) => InsertRows): Promise<ClickHouse> {
  const { url, user, password, database, cluster } = config.clickhouse
  const common = { url: url!, username: user, password, clickhouse_settings: requestSettings, request_timeout: 60_000 }
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
  const insertRows: InsertRows = async (table, columns, rows, token) => {
    const result = await client.exec({
      query: `INSERT INTO ${identifier(table)} (${columns.map(identifier).join(', ')}) FORMAT JSONCompactEachRow`,
      values: Readable.from([rows]),
      clickhouse_settings: insertSettings(token, cluster !== null),
    })
    // Read the (empty) answer so the connection goes back to the pool.
    for await (const _ of result.stream) {
      // nothing to read
    }
  }
  return { client, insertRows: wrap(insertRows), database, cluster, embedded: false, close: () => client.close() }
}
