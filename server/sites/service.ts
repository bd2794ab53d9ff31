// Sites in Postgres, with the in-memory lookups ingest and the Stats API make on every request,
// their staff (staff.ts) and their Stats API keys (keys.ts).
import type { Postgres } from '../db/index.ts'
import type { Mailer } from '../email/index.ts'
import { hashPassword } from '../accounts/passwords.ts'
import { badRequest, conflict, notFound } from '../errors.ts'
import { parseAlias, parseRetention, parseSiteDomain, parseTimeZone } from './domain.ts'
import { ApiKeys, type KeyReach } from './keys.ts'
import { Staff, type SiteRole } from './staff.ts'

export interface Site {
  readonly id: number
  readonly domain: string
  readonly aliases: readonly string[]
  readonly timezone: string
  readonly retentionDays: number
  /** A read-only dashboard anyone may open at /share/<domain>. */
  readonly publicDashboard: boolean
  /** Whether the public dashboard asks for a password. */
  readonly publicPasswordSet: boolean
  readonly createdAt: string
}

export interface NewSite {
  domain: string
  aliases?: readonly string[]
  timezone?: string
  retentionDays?: number
}

export interface SiteChanges {
  aliases?: readonly string[]
  timezone?: string
  retentionDays?: number
  publicDashboard?: boolean
  /** A new password for the public dashboard (8 to 200 characters), or null to remove it. */
  publicPassword?: string | null
}

interface SiteRow {
  id: number
  domain: string
  aliases: string[]
  timezone: string
  retention_days: number
  public_dashboard: boolean
  public_password_set: boolean
  created_at: Date
}

const toSite = (row: SiteRow): Site =>
  Object.freeze({
    id: row.id,
    domain: row.domain,
    aliases: Object.freeze([...row.aliases]),
    timezone: row.timezone,
    retentionDays: row.retention_days,
    publicDashboard: row.public_dashboard,
    publicPasswordSet: row.public_password_set,
    createdAt: row.created_at.toISOString(),
  })

export const DEFAULT_RETENTION_DAYS = 730
const SITE_COLUMNS = 'id, domain, aliases, timezone, retention_days, public_dashboard, public_password_hash IS NOT NULL AS public_password_set, created_at'
/** How long a cached answer (a site, or "no such site") is trusted; other nodes' changes show up within it. */
const CACHE_TTL_MS = 30_000

type RetentionListener = (site: Site, previousDays: number) => Promise<void>
type AddedListener = (site: Site) => Promise<void>

export class SitesService {
  readonly #pg: Postgres
  readonly #byDomain = new Map<string, { site: Site; expires: number }>()
  /** Domains with no site, kept apart so junk domains cannot push real sites out. */
  readonly #unknown = new Map<string, number>()
  readonly #byId = new Map<number, { site: Site; expires: number }>()
  readonly #retentionListeners: RetentionListener[] = []
  readonly #addedListeners: AddedListener[] = []

  readonly keys: ApiKeys
  readonly staff: Staff

  constructor(pg: Postgres, mailer: Mailer, publicUrl: string) {
    this.#pg = pg
    this.keys = new ApiKeys(pg)
    this.staff = new Staff(pg, mailer, publicUrl)
  }

  roleOf(userId: number, siteId: number): Promise<SiteRole | null> {
    return this.staff.roleOf(userId, siteId)
  }

  keyReach(key: string): Promise<KeyReach | null> {
    return this.keys.reach(key)
  }

  /** Caches an answer about a domain (a site, or that there is none), bounded by evicting the oldest. */
  #remember(domain: string, site: Site | null): void {
    const expires = Date.now() + CACHE_TTL_MS
    if (site === null) {
      if (this.#unknown.size >= 10_000) this.#unknown.delete(this.#unknown.keys().next().value!)
      this.#unknown.set(domain, expires)
      return
    }
    this.#unknown.delete(domain)
    if (this.#byDomain.size >= 10_000) this.#byDomain.delete(this.#byDomain.keys().next().value!)
    this.#byDomain.set(domain, { site, expires })
    if (this.#byId.size >= 10_000) this.#byId.delete(this.#byId.keys().next().value!)
    this.#byId.set(site.id, { site, expires })
  }

  /** Adds a site; `managerId` (the person who added it) becomes its first manager. */
  async add(input: NewSite, managerId: number | null = null): Promise<Site> {
    const domain = parseSiteDomain(input.domain)
    const aliases = [...new Set((input.aliases ?? []).map((alias) => parseAlias(alias)))]
    const timezone = parseTimeZone(input.timezone ?? 'UTC')
    const rows = await this.#pg.query<SiteRow>(
      `INSERT INTO sites (domain, aliases, timezone, retention_days) VALUES ($1, $2, $3, $4)
       ON CONFLICT (domain) DO NOTHING RETURNING ${SITE_COLUMNS}`,
      [domain, aliases, timezone, parseRetention(input.retentionDays ?? DEFAULT_RETENTION_DAYS)],
    )
    if (!rows[0]) throw conflict(`a site with the domain ${domain} already exists`, 'domain')
    const site = toSite(rows[0])
    if (managerId !== null) await this.staff.add(site.id, managerId, 'manager')
    this.#remember(domain, site)
    for (const listener of this.#addedListeners) await listener(site)
    return site
  }

  /** Called after a site is added, for other contexts to set up what the site starts with. */
  onAdded(listener: AddedListener): void {
    this.#addedListeners.push(listener)
  }

  async list(): Promise<Site[]> {
    const rows = await this.#pg.query<SiteRow>(`SELECT ${SITE_COLUMNS} FROM sites ORDER BY domain`)
    return rows.map(toSite)
  }

  async get(domain: string): Promise<Site> {
    const site = await this.find(domain)
    if (!site) throw notFound(`no site with the domain ${domain}`)
    return site
  }

  /** The site for a domain as the tracker sends it, from memory when recently seen. */
  find(domain: string): Site | null | Promise<Site | null> {
    const now = Date.now()
    const cached = this.#byDomain.get(domain)
    if (cached && cached.expires > now) return cached.site
    if ((this.#unknown.get(domain) ?? 0) > now) return null
    return this.#load(domain)
  }

  async #load(domain: string): Promise<Site | null> {
    const rows = await this.#pg.query<SiteRow>(`SELECT ${SITE_COLUMNS} FROM sites WHERE domain = $1`, [domain.toLowerCase()])
    const site = rows[0] ? toSite(rows[0]) : null
    // Unknown domains are remembered too, so junk traffic does not reach Postgres on every event.
    this.#remember(domain, site)
    return site
  }

  async update(domain: string, changes: SiteChanges): Promise<Site> {
    const previous = await this.get(domain)
    const aliases = changes.aliases ? [...new Set(changes.aliases.map((alias) => parseAlias(alias)))] : previous.aliases
    const timezone = changes.timezone !== undefined ? parseTimeZone(changes.timezone) : previous.timezone
    const retentionDays = changes.retentionDays !== undefined ? parseRetention(changes.retentionDays) : previous.retentionDays
    const publicDashboard = changes.publicDashboard ?? previous.publicDashboard
    let rows: SiteRow[]
    if (changes.publicPassword === undefined) {
      rows = await this.#pg.query<SiteRow>(
        `UPDATE sites SET aliases = $2, timezone = $3, retention_days = $4, public_dashboard = $5 WHERE id = $1 RETURNING ${SITE_COLUMNS}`,
        [previous.id, aliases, timezone, retentionDays, publicDashboard],
      )
    } else {
      if (changes.publicPassword !== null && (changes.publicPassword.length < 8 || changes.publicPassword.length > 200)) {
        throw badRequest('the public dashboard password takes 8 to 200 characters', 'publicPassword')
      }
      const hash = changes.publicPassword === null ? null : await hashPassword(changes.publicPassword)
      // A new password (or none) ends every unlocked visit of the old one.
      rows = await this.#pg.transaction(async (tx) => {
        const updated = await tx.query<SiteRow>(
          `UPDATE sites SET aliases = $2, timezone = $3, retention_days = $4, public_dashboard = $5, public_password_hash = $6 WHERE id = $1 RETURNING ${SITE_COLUMNS}`,
          [previous.id, aliases, timezone, retentionDays, publicDashboard, hash],
        )
        await tx.query('DELETE FROM share_sessions WHERE site_id = $1', [previous.id])
        return updated
      })
    }
    const site = toSite(rows[0]!)
    this.#remember(site.domain, site)
    if (site.retentionDays !== previous.retentionDays) {
      for (const listener of this.#retentionListeners) await listener(site, previous.retentionDays)
    }
    return site
  }

  /** Called after a site's retention changed, to apply it to rows already stored. */
  onRetentionChange(listener: RetentionListener): void {
    this.#retentionListeners.push(listener)
  }

  /** The sites a person may see: every site for an administrator, else those they are staff of. */
  async visibleTo(userId: number, admin: boolean): Promise<Array<{ site: Site; role: SiteRole | 'admin' }>> {
    if (admin) return (await this.list()).map((site) => ({ site, role: 'admin' as const }))
    const memberships = await this.staff.sitesOf(userId)
    const sites = await Promise.all(memberships.map(async ({ siteId, role }) => ({ site: await this.getById(siteId), role })))
    return sites.sort((a, b) => a.site.domain.localeCompare(b.site.domain))
  }

  async getById(id: number): Promise<Site> {
    const cached = this.#byId.get(id)
    if (cached && cached.expires > Date.now()) return cached.site
    const rows = await this.#pg.query<SiteRow>(`SELECT ${SITE_COLUMNS} FROM sites WHERE id = $1`, [id])
    if (!rows[0]) throw notFound('the site no longer exists')
    const site = toSite(rows[0])
    this.#remember(site.domain, site)
    return site
  }
}
