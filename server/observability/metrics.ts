// Prometheus metrics of one app instance (its own registry, so several apps can live in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export type Metrics = ReturnType<typeof createMetrics>

export function createMetrics() {
  const registry = new Registry()
  let spoolBacklog = () => 0
  collectDefaultMetrics({ register: registry, prefix: 'candor_' })
  const registers = [registry]
  return {
    registry,
    eventsAccepted: new Counter({
      name: 'candor_events_accepted_total',
      help: 'Events acknowledged with 202 after they reached the durable spool',
      registers,
    }),
    eventsDropped: new Counter({
      name: 'candor_events_dropped_total',
      help: 'Events answered 202 but not stored, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    eventsRejected: new Counter({
      name: 'candor_events_rejected_total',
      help: 'Event requests refused with a 4xx/5xx status, by status',
      labelNames: ['status'] as const,
      registers,
    }),
    spoolBytes: new Gauge({
      name: 'candor_spool_bytes',
      help: 'Bytes acknowledged but not yet written to ClickHouse',
      registers,
      collect() {
        this.set(spoolBacklog())
      },
    }),
    /** Tells the spool gauge where to read the backlog when scraped. */
    measureSpool(backlog: () => number) {
      spoolBacklog = backlog
    },
    spoolSyncSeconds: new Histogram({
      name: 'candor_spool_sync_seconds',
      help: 'Time to append and fdatasync one group commit of the spool',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers,
    }),
    writerFlushSeconds: new Histogram({
      name: 'candor_writer_flush_seconds',
      help: 'Time to insert one spool batch into ClickHouse',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    writerRows: new Counter({
      name: 'candor_writer_rows_total',
      help: 'Rows inserted into ClickHouse by the spool writer, by table',
      labelNames: ['table'] as const,
      registers,
    }),
    clickhouseErrors: new Counter({
      name: 'candor_clickhouse_errors_total',
      help: 'Failed ClickHouse operations, by operation',
      labelNames: ['operation'] as const,
      registers,
    }),
  }
}
