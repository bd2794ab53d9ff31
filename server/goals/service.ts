// Goals and saved funnels of a site, in Postgres. What a goal counts is checked here (the routes'
// schemas check shapes only), so every caller gets the same 400s naming the field.
import { badRequest, conflict, notFound } from '../errors.ts'
import type { Postgres } from '../db/index.ts'

export type StepKind = 'event' | 'page'

export interface Goal {
  readonly id: number
  readonly kind: StepKind
  readonly eventName: string | null
  readonly pagePath: string | null
  /** How stats name the goal (event:goal): "Visit /path" or the event's name unless given. */
  readonly displayName: string
}

export interface NewGoal {
  kind: StepKind
  event_name?: string | null
  page_path?: string | null
  display_name?: string | null
}

export interface FunnelStep {
  readonly kind: StepKind
  readonly value: string
}

export interface Funnel {
  readonly id: number
  readonly name: string
  readonly steps: readonly FunnelStep[]
}

export const MAX_EVENT_NAME = 120
export const MAX_PAGE_PATH = 2000
export const MAX_NAME = 120
export const MIN_STEPS = 2
export const MAX_STEPS = 8

/** An event name: 1..120 characters, not only spaces. */
export function checkEventName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_EVENT_NAME) {
    throw badRequest(`an event name is 1 to ${MAX_EVENT_NAME} characters`, field)
  }
  return value
}

/** A page path: starts with "/", at most 2000 characters, `*` matches any characters. */
export function checkPagePath(value: unknown, field: string): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.length > MAX_PAGE_PATH) {
    throw badRequest(`a page path starts with "/" and has at most ${MAX_PAGE_PATH} characters`, field)
  }
  return value
}

export function checkSteps(steps: unknown, field = 'steps'): FunnelStep[] {
  if (!Array.isArray(steps) || steps.length < MIN_STEPS || steps.length > MAX_STEPS) {
    throw badRequest(`a funnel has ${MIN_STEPS} to ${MAX_STEPS} steps`, field)
  }
  return steps.map((step: unknown, index) => {
    const { kind, value } = (step ?? {}) as { kind?: unknown; value?: unknown }
    if (kind === 'event') return { kind, value: checkEventName(value, `${field}[${index}].value`) }
    if (kind === 'page') return { kind, value: checkPagePath(value, `${field}[${index}].value`) }
    throw badRequest('a step\'s kind is "event" or "page"', `${field}[${index}].kind`)
  })
}

/** What a goal or step is called on screen. */
export const stepLabel = (step: FunnelStep) => (step.kind === 'page' ? `Visit ${step.value}` : step.value)

interface GoalRow {
  id: number
  kind: StepKind
  event_name: string | null
  page_path: string | null
  display_name: string
}

const toGoal = (row: GoalRow): Goal =>
  Object.freeze({ id: row.id, kind: row.kind, eventName: row.event_name, pagePath: row.page_path, displayName: row.display_name })

const isDuplicate = (error: unknown) => (error as { code?: string }).code === '23505'

export class GoalsService {
  readonly #pg: Postgres

  constructor(pg: Postgres) {
    this.#pg = pg
  }

  async list(siteId: number): Promise<Goal[]> {
    const rows = await this.#pg.query<GoalRow>(
      'SELECT id, kind, event_name, page_path, display_name FROM goals WHERE site_id = $1 ORDER BY id',
      [siteId],
    )
    return rows.map(toGoal)
  }

  async add(siteId: number, input: NewGoal): Promise<Goal> {
    let eventName: string | null = null
    let pagePath: string | null = null
    if (input.kind === 'event') {
      if (input.page_path != null) throw badRequest('an event goal has no page_path', 'page_path')
      eventName = checkEventName(input.event_name, 'event_name')
    } else if (input.kind === 'page') {
      if (input.event_name != null) throw badRequest('a page goal has no event_name', 'event_name')
      pagePath = checkPagePath(input.page_path, 'page_path')
    } else {
      throw badRequest('kind is "event" or "page"', 'kind')
    }
    const given = input.display_name ?? null
    if (given !== null && (given.trim().length === 0 || given.length > MAX_NAME)) {
      throw badRequest(`a display name is 1 to ${MAX_NAME} characters`, 'display_name')
    }
    const displayName = given ?? stepLabel({ kind: input.kind, value: (eventName ?? pagePath)! })
    try {
      const rows = await this.#pg.query<GoalRow>(
        `INSERT INTO goals (site_id, kind, event_name, page_path, display_name) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, kind, event_name, page_path, display_name`,
        [siteId, input.kind, eventName, pagePath, displayName],
      )
      return toGoal(rows[0]!)
    } catch (error) {
      if (!isDuplicate(error)) throw error
      // Both unique indexes may be hit; the engines check them in different orders, so ask.
      const same = await this.#pg.query(
        'SELECT 1 FROM goals WHERE site_id = $1 AND kind = $2 AND coalesce(event_name, page_path) = $3',
        [siteId, input.kind, eventName ?? pagePath],
      )
      throw same.length > 0
        ? conflict('the site has this goal already', input.kind === 'event' ? 'event_name' : 'page_path')
        : conflict(`the site has a goal named "${displayName}" already`, 'display_name')
    }
  }

  async remove(siteId: number, id: number): Promise<void> {
    const rows = await this.#pg.query('DELETE FROM goals WHERE site_id = $1 AND id = $2 RETURNING id', [siteId, id])
    if (rows.length === 0) throw notFound(`the site has no goal ${id}`)
  }
}

interface FunnelRow {
  id: number
  name: string
  steps: FunnelStep[]
}

const toFunnel = (row: FunnelRow): Funnel => Object.freeze({ id: row.id, name: row.name, steps: row.steps })

export class FunnelsService {
  readonly #pg: Postgres

  constructor(pg: Postgres) {
    this.#pg = pg
  }

  async list(siteId: number): Promise<Funnel[]> {
    return (await this.#pg.query<FunnelRow>('SELECT id, name, steps FROM funnels WHERE site_id = $1 ORDER BY id', [siteId])).map(toFunnel)
  }

  async add(siteId: number, input: { name: string; steps: unknown }): Promise<Funnel> {
    if (typeof input.name !== 'string' || input.name.trim().length === 0 || input.name.length > MAX_NAME) {
      throw badRequest(`a funnel's name is 1 to ${MAX_NAME} characters`, 'name')
    }
    const steps = checkSteps(input.steps)
    try {
      const rows = await this.#pg.query<FunnelRow>(
        'INSERT INTO funnels (site_id, name, steps) VALUES ($1, $2, $3) RETURNING id, name, steps',
        [siteId, input.name, JSON.stringify(steps)],
      )
      return toFunnel(rows[0]!)
    } catch (error) {
      if (isDuplicate(error)) throw conflict(`the site has a funnel named "${input.name}" already`, 'name')
      throw error
    }
  }

  async remove(siteId: number, id: number): Promise<void> {
    const rows = await this.#pg.query('DELETE FROM funnels WHERE site_id = $1 AND id = $2 RETURNING id', [siteId, id])
    if (rows.length === 0) throw notFound(`the site has no funnel ${id}`)
  }
}
