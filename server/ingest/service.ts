// The ingest context's work for one request: run each named site through the pipeline, turn what
// survives into spool lines, and acknowledge only once they are durable.
import type { Metrics } from '../observability/metrics.ts'
import { unavailable } from '../errors.ts'
import type { SitesService } from '../sites/index.ts'
import type { IncomingEvent } from './payload.ts'
import { newDraft, runPipeline, type Draft, type DropReason, type RequestFacts, type Step } from './pipeline.ts'
import type { SessionTracker } from './sessions.ts'
import { SpoolFullError, type Spool } from './spool.ts'
import { Identity } from './steps/identity.ts'
import { locate, type Locator } from './steps/location.ts'
import { cleanPage } from './steps/page.ts'
import { checkHostname, resolveSite } from './steps/site.ts'
import { attributeSource } from './steps/source.ts'
import { decideTier } from './steps/tier.ts'
import { rejectBots, UserAgentCache } from './steps/user-agent.ts'

export interface Outcome {
  readonly stored: number
  /** Why the event was not stored for (one of) its sites. */
  readonly dropped: DropReason | null
}

export interface IngestDependencies {
  sites: SitesService
  geo: Locator
  identity: Identity
  sessions: SessionTracker
  spool: Spool
  metrics: Metrics
}

/** Seconds a client should wait when the spool is full; the writer drains several batches a second when ClickHouse is back. */
const SPOOL_FULL_RETRY_SECONDS = 30

export class Ingest {
  readonly steps: readonly Step[]
  readonly #deps: IngestDependencies

  constructor(deps: IngestDependencies) {
    this.#deps = deps
    this.steps = [
      rejectBots(new UserAgentCache()),
      resolveSite(deps.sites),
      checkHostname,
      decideTier,
      cleanPage,
      attributeSource,
      deps.identity.step,
      locate(deps.geo, (draft) => deps.sessions.startsOrRetiers(draft)),
    ]
  }

  async accept(event: IncomingEvent, request: RequestFacts): Promise<Outcome> {
    const { spool, sessions, metrics } = this.#deps
    if (!spool.hasRoom()) throw this.#refusal()
    let dropped: DropReason | null = null
    const accepted: Draft[] = []
    for (const domain of event.domains) {
      const draft = newDraft(event, request, domain)
      const reason = await runPipeline(this.steps, draft)
      if (reason === undefined) {
        accepted.push(draft)
      } else {
        metrics.eventsDropped.inc({ reason })
        dropped ??= reason
      }
    }
    if (accepted.length === 0) return { stored: 0, dropped }
    // Every site's pipeline has passed: only now move the visits on, with no await until the
    // append, so a failure above leaves them untouched.
    let lines = ''
    for (const draft of accepted) lines += sessions.record(draft)
    try {
      await spool.append(lines)
    } catch (error) {
      for (const draft of accepted) sessions.forget(draft)
      throw error instanceof SpoolFullError ? this.#refusal() : error
    }
    metrics.eventsAccepted.inc(accepted.length)
    return { stored: accepted.length, dropped }
  }

  /** Why the spool takes no more events. */
  #refusal() {
    const { spool } = this.#deps
    if (spool.failed) return unavailable('the event spool cannot write to disk; the server needs attention', SPOOL_FULL_RETRY_SECONDS)
    if (spool.sealed) return unavailable('the server is shutting down; retry shortly', 5)
    return unavailable('the event spool is full while ClickHouse catches up; retry later', SPOOL_FULL_RETRY_SECONDS)
  }
}
