// Stats API keys. A person's key reaches the sites they may read (or the one site it names); a key
// the operator makes from the CLI has no owner and names one site. The key is shown once; only
// its SHA-256 is kept.
import { createHash, randomBytes } from 'node:crypto'
import type { Postgres } from '../db/index.ts'
import { notFound } from '../errors.ts'
import type { Site } from './service.ts'

export interface KeyReach {
  readonly siteId: number | null
  readonly userId: number | null
}

export interface ApiKey {
  readonly id: number
  readonly name: string
  readonly prefix: string
  /** The one site the key reaches, or null for all the owner's sites. */
  readonly siteId: number | null
  readonly createdAt: string
  readonly lastUsedAt: string | null
}

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex')
/** A revoked key stops working on this node at once, on other nodes within this time. */
const CACHE_TTL_MS = 60_000

interface KeyRow {
  id: number
  name: string
  key_prefix: string
  site_id: number | null
  created_at: Date
  last_used_at: Date | null
}
const toKey = (row: KeyRow): ApiKey => ({
  id: row.id,
  name: row.name,
  prefix: row.key_prefix,
  siteId: row.site_id,
  createdAt: row.created_at.toISOString(),
  lastUsedAt: row.last_used_at?.toISOString() ?? null,
})

export class ApiKeys {
  readonly #pg: Postgres
  readonly #cache = new Map<string, { reach: KeyReach; expires: number }>()

  constructor(pg: Postgres) {
    this.#pg = pg
  }

  async #create(owner: number | null, site: Site | null, name: string): Promise<{ key: string; record: ApiKey }> {
    const key = `cnd_${randomBytes(30).toString('base64url')}`
    const [row] = await this.#pg.query<KeyRow>(
      `INSERT INTO api_keys (user_id, site_id, key_hash, key_prefix, name) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, name, key_prefix, site_id, created_at, last_used_at`,
      [owner, site?.id ?? null, hashKey(key), key.slice(0, 10), name],
    )
    return { key, record: toKey(row!) }
  }

  /** The operator's key for one site. */
  createForSite(site: Site, name = 'created by the operator') {
    return this.#create(null, site, name)
  }

  /** A person's key: for one site they may read, or for all of them (site null). */
  createForUser(userId: number, site: Site | null, name: string) {
    return this.#create(userId, site, name)
  }

  async list(userId: number): Promise<ApiKey[]> {
    const rows = await this.#pg.query<KeyRow>(
      'SELECT id, name, key_prefix, site_id, created_at, last_used_at FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id',
      [userId],
    )
    return rows.map(toKey)
  }

  async revoke(userId: number, id: number): Promise<void> {
    const rows = await this.#pg.query<{ key_hash: string }>(
      'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING key_hash',
      [id, userId],
    )
    if (!rows[0]) throw notFound('no such key among yours')
    this.#cache.delete(rows[0].key_hash)
  }

  /** What a key reaches, or null for an unknown or revoked key. */
  async reach(key: string): Promise<KeyReach | null> {
    const hash = hashKey(key)
    const cached = this.#cache.get(hash)
    if (cached && cached.expires > Date.now()) return cached.reach
    const [row] = await this.#pg.query<{ site_id: number | null; user_id: number | null }>(
      'UPDATE api_keys SET last_used_at = now() WHERE key_hash = $1 AND revoked_at IS NULL RETURNING site_id, user_id',
      [hash],
    )
    if (!row) return null
    const reach = { siteId: row.site_id, userId: row.user_id }
    if (this.#cache.size >= 10_000) this.#cache.delete(this.#cache.keys().next().value!)
    this.#cache.set(hash, { reach, expires: Date.now() + CACHE_TTL_MS })
    return reach
  }
}
