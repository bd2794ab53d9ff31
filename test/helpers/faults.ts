// A fault-injecting wrapper around the writer's ClickHouse client: the engine is a third party,
// so tests may make it fail. 'down' refuses before sending; 'lose-reply' lets the insert reach
// ClickHouse and then fails, as when a response is lost — the case deduplication tokens exist for.
import type { ClickHouseClient } from '../../server/db/index.ts'

export type FaultMode = 'up' | 'down' | 'lose-reply'

export class Faults {
  mode: FaultMode = 'up'
  attempts = 0
  failures = 0

  wrap = (client: ClickHouseClient): ClickHouseClient =>
    new Proxy(client, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver)
        if (property !== 'exec' && property !== 'insert') return typeof value === 'function' ? value.bind(target) : value
        return async (...args: unknown[]) => {
          this.attempts++
          if (this.mode === 'down') {
            this.failures++
            throw new Error('injected fault: ClickHouse is unreachable')
          }
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
          if (this.mode === 'lose-reply') {
            this.failures++
            throw new Error('injected fault: the reply was lost')
          }
          return result
        }
      },
    })
}
