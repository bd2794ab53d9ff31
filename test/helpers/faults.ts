// A fault-injecting wrapper around the spool writer's bulk insert into ClickHouse: the engine is a
// third party, so tests may make it fail. 'down' refuses before sending; 'lose-reply' lets the
// insert reach ClickHouse and then fails, as when a response is lost — the case deduplication
// tokens exist for.
import type { InsertRows } from '../../server/db/index.ts'

export type FaultMode = 'up' | 'down' | 'lose-reply'

export class Faults {
  mode: FaultMode = 'up'
  attempts = 0
  failures = 0

  wrap = (insert: InsertRows): InsertRows => async (table, columns, rows, token) => {
    this.attempts++
    if (this.mode === 'down') {
      this.failures++
      throw new Error('injected fault: ClickHouse is unreachable')
    }
    await insert(table, columns, rows, token)
    if (this.mode === 'lose-reply') {
      this.failures++
      throw new Error('injected fault: the reply was lost')
    }
  }
}
