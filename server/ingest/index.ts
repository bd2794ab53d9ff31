// The ingest context: event intake, enrichment, visitor hashing, sessions, and the durable spool
// with its writer to ClickHouse.
import { join } from 'node:path'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { distDir } from '../paths.ts'
import { defaultGeoPaths, openGeo, type Geo } from './geo/index.ts'
import { eventRoutes } from './routes.ts'
import { SaltStore } from './salts.ts'
import { Ingest } from './service.ts'
import { SESSION_TIMEOUT_SECONDS, SessionTracker } from './sessions.ts'
import { Spool } from './spool.ts'
import { Identity } from './steps/identity.ts'
import { lookUpLocation } from './steps/location.ts'
import { SpoolWriter, type WriterOptions } from './writer.ts'

export type { DropReason } from './pipeline.ts'
export { UserAgentCache } from './steps/user-agent.ts'
export { EVENT_COLUMNS, SESSION_COLUMNS } from './rows.ts'

declare module 'fastify' {
  interface FastifyInstance {
    ingest: {
      spool: Spool
      writer: SpoolWriter
      /** IP → country, region, city, ASN; other contexts locate a request with it, never keeping the IP. */
      geo: Geo
      sessions: SessionTracker
      salts: SaltStore
      /** Calls `listener` whenever the writer stores sessions rows spooled by an older version; returns an unsubscribe. */
      onOlderSessionRows(listener: () => void): () => void
    }
  }
}

export interface IngestPluginOptions {
  config: Config
  /** Batch size and interval of the spool writer (tests use small ones). */
  writer?: Pick<WriterOptions, 'batchBytes' | 'intervalMs' | 'maxBackoffMs'>
}

export const ingestPlugin = fp<IngestPluginOptions>(
  async (app, { config, writer: writerOptions }) => {
    const defaults = defaultGeoPaths(distDir)
    const geo = await openGeo({
      cityPaths: config.geoip.cityPaths ? [...config.geoip.cityPaths] : defaults.cityPaths,
      asnPath: config.geoip.asnPath ?? defaults.asnPath,
    })
    const salts = new SaltStore(app.postgres)
    await salts.start()
    const identity = new Identity(salts)
    const sessions = new SessionTracker(identity, SESSION_TIMEOUT_SECONDS, (draft) => lookUpLocation(geo, draft))
    sessions.startSweeping()

    const { metrics } = app
    const spool = await Spool.open({
      dir: join(config.dataDir, 'spool'),
      maxBytes: config.spoolMaxBytes,
      onSync: (seconds) => metrics.spoolSyncSeconds.observe(seconds),
    })
    const olderSessionRows = new Set<() => void>()
    const writer = new SpoolWriter({
      spool,
      insertRows: app.clickhouse.insertRows,
      ...writerOptions,
      onFlush: (seconds, rows) => {
        metrics.writerFlushSeconds.observe(seconds)
        metrics.writerRows.inc({ table: 'events' }, rows.events)
        metrics.writerRows.inc({ table: 'sessions' }, rows.sessions)
      },
      // Sessions rows of an older layout (a spool written before an upgrade) have no pages.
      onStored: (part) => {
        if (part.tag === 'S') for (const listener of olderSessionRows) listener()
      },
      onError: (error) => {
        metrics.clickhouseErrors.inc({ operation: 'insert' })
        app.log.warn({ err: error }, 'writing the spool to ClickHouse failed; retrying')
      },
    })
    metrics.measureSpool(() => spool.backlogBytes)
    // Replays whatever the previous process acknowledged but did not write.
    writer.start()

    app.decorate('ingest', {
      spool,
      writer,
      geo,
      sessions,
      salts,
      onOlderSessionRows: (listener) => {
        olderSessionRows.add(listener)
        return () => olderSessionRows.delete(listener)
      },
    })
    await app.register(
      eventRoutes(new Ingest({ sites: app.sites, geo, identity, sessions, spool, metrics }), config.rateLimitPerMinute),
    )

    app.addHook('onClose', async () => {
      // In-flight requests are done by now: flush their appends, then write the spool out.
      await spool.seal()
      const drained = await writer.stop()
      await spool.close()
      if (!drained) app.log.warn({ backlogBytes: spool.backlogBytes }, 'spool not fully written; it is replayed on next start')
      sessions.stop()
      salts.stop()
      geo.close()
    })
  },
  { name: 'ingest', dependencies: ['databases', 'sites', 'observability'] },
)
