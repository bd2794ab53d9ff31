// A site's consent configuration, versioned in Postgres. Every change writes a new version; a
// version never changes once written, because consent records name the version whose texts the
// visitor read and the hash of those texts is part of the proof. The first version is written
// from the defaults the first time a site's configuration is asked for.
import { createHash } from 'node:crypto'
import {
  CONSENT_MODE_TYPES,
  type BannerCategory,
  type BannerConfig,
  type BannerTexts,
  type ConsentModeType,
} from '../../tracker/consent/protocol.ts'
import type { Postgres, Queryable } from '../db/index.ts'
import { badRequest } from '../errors.ts'
import {
  BUILT_IN_TEXTS,
  CONSENT_COOKIE,
  DEFAULT_CATEGORIES,
  DEFAULT_CONSENT_RETENTION_DAYS,
  DEFAULT_EXPIRY_DAYS,
  RTL_LANGUAGES,
} from './defaults.ts'

/** A site's own texts for one language: any built-in text, and titles of its categories. */
export type TextOverrides = Partial<Omit<BannerTexts, 'categories'>> & {
  categories?: Record<string, Partial<BannerTexts['categories'][string]>>
}

export interface ConsentVersion {
  readonly siteId: number
  readonly version: number
  readonly policyVersion: number
  readonly policyUrl: string | null
  readonly expiryDays: number
  readonly retentionDays: number
  readonly categories: readonly BannerCategory[]
  readonly overrides: Readonly<Record<string, TextOverrides>>
  readonly texts: Readonly<Record<string, BannerTexts>>
  /** SHA-256 (hex) of each language's texts, as served */
  readonly textsSha256: Readonly<Record<string, string>>
  readonly createdAt: string
  readonly createdBy: number | null
}

export interface CategoryInput {
  id: string
  /** Consent Mode types; checked here, so that the error names the field */
  consentMode?: string[]
  services?: Array<{ id: string; name: string; cookies?: string[] }>
}

export interface ConsentChanges {
  /** The whole list, replacing the current one; "necessary" is kept first whether listed or not. */
  categories?: CategoryInput[]
  /** By language; replaces the site's texts for each language named, `null` removes a language. */
  texts?: Record<string, TextOverrides | null>
  policyUrl?: string | null
  expiryDays?: number
  retentionDays?: number
  /** Publishes a new policy version: every stored decision is asked again. */
  newPolicyVersion?: boolean
}

interface VersionRow {
  site_id: number
  version: number
  policy_version: number
  policy_url: string | null
  expiry_days: number
  retention_days: number
  categories: BannerCategory[] | string
  overrides: Record<string, TextOverrides> | string
  texts: Record<string, BannerTexts> | string
  texts_sha256: Record<string, string> | string
  created_by: number | null
  created_at: Date
}

const COLUMNS = 'site_id, version, policy_version, policy_url, expiry_days, retention_days, categories, overrides, texts, texts_sha256, created_by, created_at'
/** pg parses jsonb; PGlite does too, but a value may arrive as text through some paths. */
const json = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value)

const toVersion = (row: VersionRow): ConsentVersion =>
  Object.freeze({
    siteId: row.site_id,
    version: row.version,
    policyVersion: row.policy_version,
    policyUrl: row.policy_url,
    expiryDays: row.expiry_days,
    retentionDays: row.retention_days,
    categories: json(row.categories),
    overrides: json(row.overrides),
    texts: json(row.texts),
    textsSha256: json(row.texts_sha256),
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
  })

/** JSON with keys sorted at every level: the same texts always hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * The hash a record keeps as proof of what the visitor was shown in one language: every text, the
 * categories with their services and cookies (names shown in the preferences), and the policy link.
 */
export const shownHash = (texts: BannerTexts, categories: readonly BannerCategory[], policyUrl: string | null): string =>
  createHash('sha256').update(canonicalJson({ categories, policyUrl, texts })).digest('hex')

const NECESSARY_CONSENT_MODE: readonly ConsentModeType[] = ['functionality_storage', 'security_storage']
const CATEGORY_ID = /^[a-z][a-z0-9_-]{0,31}$/
const SERVICE_ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/
/** Cookie names as RFC 6265 tokens, with a trailing `*` for a prefix. */
const COOKIE_NAME = /^[!#$%&'+\-.^_`|~0-9A-Za-z]{1,128}\*?$/
const LANGUAGE = /^[a-z]{2,3}(-[a-z0-9]{2,8})?$/
const TEXT_KEYS = ['title', 'description', 'acceptAll', 'rejectAll', 'preferences', 'save', 'close', 'policy', 'alwaysOn', 'services', 'cookies', 'gpcHonoured', 'download'] as const

function parseCategories(input: readonly CategoryInput[]): BannerCategory[] {
  const seen = new Set<string>()
  const categories: BannerCategory[] = []
  input.forEach((category, index) => {
    const field = `categories.${index}`
    if (!CATEGORY_ID.test(category.id)) throw badRequest('a category id is lower-case letters, digits, _ and -, starting with a letter', `${field}.id`)
    if (seen.has(category.id)) throw badRequest(`the category ${category.id} is listed twice`, `${field}.id`)
    seen.add(category.id)
    const consentMode = [...new Set(category.consentMode ?? [])] as ConsentModeType[]
    for (const type of consentMode) {
      if (!(CONSENT_MODE_TYPES as readonly string[]).includes(type)) throw badRequest(`${type} is not a Consent Mode type`, `${field}.consentMode`)
    }
    const services = (category.services ?? []).map((service, serviceIndex) => {
      const where = `${field}.services.${serviceIndex}`
      if (!SERVICE_ID.test(service.id)) throw badRequest('a service id is lower-case letters, digits, _, . and -', `${where}.id`)
      const name = plainText(service.name, `${where}.name`, false)
      const cookies = [...new Set(service.cookies ?? [])]
      for (const cookie of cookies) if (!COOKIE_NAME.test(cookie)) throw badRequest(`${cookie} is not a cookie name`, `${where}.cookies`)
      return { id: service.id, name, cookies }
    })
    const ids = new Set<string>()
    for (const service of services) {
      if (ids.has(service.id)) throw badRequest(`the service ${service.id} is listed twice`, `${field}.services`)
      ids.add(service.id)
    }
    if (category.id === 'necessary') {
      // Granted whatever the visitor chooses, so it may grant only what needs no consent.
      const extra = consentMode.filter((type) => !NECESSARY_CONSENT_MODE.includes(type))
      if (extra.length > 0) throw badRequest(`the necessary category grants only ${NECESSARY_CONSENT_MODE.join(' and ')}, not ${extra.join(', ')}`, `${field}.consentMode`)
    } else if (services.some((service) => service.cookies.includes(CONSENT_COOKIE))) {
      throw badRequest(`${CONSENT_COOKIE} is the necessary cookie that keeps the choice; it cannot belong to ${category.id}`, `${field}.services`)
    }
    categories.push({ id: category.id, necessary: category.id === 'necessary', consentMode, services })
  })
  // Necessary storage (the consent cookie itself) is always there, first, and always on.
  const necessary = categories.find((category) => category.id === 'necessary') ?? structuredClone(DEFAULT_CATEGORIES[0]!)
  if (!necessary.services.some((service) => service.cookies.includes(CONSENT_COOKIE))) {
    necessary.services.unshift(structuredClone(DEFAULT_CATEGORIES[0]!.services[0]!))
  }
  const rest = categories.filter((category) => category.id !== 'necessary')
  if (rest.length === 0) throw badRequest('a banner needs at least one category besides "necessary"', 'categories')
  return [necessary, ...rest]
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
/** A text Postgres can store and a banner can show: well-formed Unicode without control characters. */
function plainText(text: string, field: string, mayBeEmpty: boolean): string {
  // eslint-disable-next-line no-control-regex
  if (LONE_SURROGATE.test(text) || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) {
    throw badRequest('a text must be well-formed Unicode without control characters', field)
  }
  const trimmed = text.trim()
  if (!trimmed && !mayBeEmpty) throw badRequest('a text cannot be empty', field)
  return trimmed
}

function parseOverrides(current: Readonly<Record<string, TextOverrides>>, changes: Record<string, TextOverrides | null>): Record<string, TextOverrides> {
  const overrides: Record<string, TextOverrides> = { ...current }
  for (const [language, texts] of Object.entries(changes)) {
    if (!LANGUAGE.test(language)) throw badRequest(`${language} is not a language code such as en, ru or pt-br`, `texts.${language}`)
    if (texts === null) {
      delete overrides[language]
      continue
    }
    const clean: TextOverrides = {}
    for (const key of TEXT_KEYS) {
      const text = texts[key]
      if (text === undefined) continue
      clean[key] = plainText(text, `texts.${language}.${key}`, false)
    }
    if (texts.dir !== undefined) clean.dir = texts.dir
    if (texts.categories) {
      clean.categories = {}
      for (const [id, category] of Object.entries(texts.categories)) {
        const entry: Partial<BannerTexts['categories'][string]> = {}
        if (category.title !== undefined) entry.title = plainText(category.title, `texts.${language}.categories.${id}.title`, false)
        if (category.description !== undefined) entry.description = plainText(category.description, `texts.${language}.categories.${id}.description`, true)
        clean.categories[id] = entry
      }
    }
    overrides[language] = clean
  }
  return overrides
}

/** The texts a banner shows in each language: built-in (or English for a site's own languages) with the site's over them. */
export function mergeTexts(categories: readonly BannerCategory[], overrides: Readonly<Record<string, TextOverrides>>): Record<string, BannerTexts> {
  const languages = [...new Set(['en', 'ru', ...Object.keys(overrides)])]
  const texts: Record<string, BannerTexts> = {}
  for (const language of languages) {
    const base = BUILT_IN_TEXTS[language as 'en' | 'ru'] ?? BUILT_IN_TEXTS.en
    const own = overrides[language] ?? {}
    const english = overrides.en ?? {}
    const merged: BannerTexts = { ...base, ...own, categories: {} }
    if (!(language in BUILT_IN_TEXTS) && own.dir === undefined) merged.dir = RTL_LANGUAGES.has(language.split('-')[0]!) ? 'rtl' : 'ltr'
    for (const category of categories) {
      const builtIn = base.categories[category.id]
      merged.categories[category.id] = {
        title: own.categories?.[category.id]?.title ?? english.categories?.[category.id]?.title ?? builtIn?.title ?? category.id,
        description: own.categories?.[category.id]?.description ?? english.categories?.[category.id]?.description ?? builtIn?.description ?? '',
      }
    }
    texts[language] = merged
  }
  return texts
}

function parsePolicyUrl(url: string | null): string | null {
  if (url === null || url === '') return null
  try {
    const parsed = new URL(url)
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return parsed.href
  } catch {
    // answered below
  }
  throw badRequest('the policy URL must be an http or https address', 'policyUrl')
}

const CACHE_TTL_MS = 30_000

export class ConsentConfigs {
  readonly #pg: Postgres
  /** Versions never change, so a fetched one is kept (bounded); "current" is trusted for a while. */
  readonly #versions = new Map<string, ConsentVersion>()
  readonly #current = new Map<number, { version: ConsentVersion; expires: number }>()

  constructor(pg: Postgres) {
    this.#pg = pg
  }

  #keep(version: ConsentVersion): ConsentVersion {
    if (this.#versions.size >= 5_000) this.#versions.delete(this.#versions.keys().next().value!)
    this.#versions.set(`${version.siteId}:${version.version}`, version)
    return version
  }

  /** The site's current configuration; the defaults become version 1 the first time. */
  async current(siteId: number): Promise<ConsentVersion> {
    const cached = this.#current.get(siteId)
    if (cached && cached.expires > Date.now()) return cached.version
    let rows = await this.#pg.query<VersionRow>(`SELECT ${COLUMNS} FROM consent_configs WHERE site_id = $1 ORDER BY version DESC LIMIT 1`, [siteId])
    if (!rows[0]) {
      const categories = structuredClone(DEFAULT_CATEGORIES) as BannerCategory[]
      const texts = mergeTexts(categories, {})
      await this.#pg.query(
        `INSERT INTO consent_configs (site_id, version, policy_version, policy_url, expiry_days, retention_days, categories, overrides, texts, texts_sha256)
         VALUES ($1, 1, 1, NULL, $2, $3, $4, '{}', $5, $6) ON CONFLICT DO NOTHING`,
        [siteId, DEFAULT_EXPIRY_DAYS, DEFAULT_CONSENT_RETENTION_DAYS, JSON.stringify(categories), JSON.stringify(texts), JSON.stringify(hashes(texts, categories, null))],
      )
      rows = await this.#pg.query<VersionRow>(`SELECT ${COLUMNS} FROM consent_configs WHERE site_id = $1 ORDER BY version DESC LIMIT 1`, [siteId])
    }
    const version = this.#keep(toVersion(rows[0]!))
    this.#remember(version)
    return version
  }

  /** One version of the site's configuration, or null when it has no such version. */
  async version(siteId: number, version: number): Promise<ConsentVersion | null> {
    const kept = this.#versions.get(`${siteId}:${version}`)
    if (kept) return kept
    const select = () => this.#pg.query<VersionRow>(`SELECT ${COLUMNS} FROM consent_configs WHERE site_id = $1 AND version = $2`, [siteId, version])
    let rows = await select()
    // A site nobody asked about yet has its defaults written on first use, whichever route comes first.
    if (!rows[0] && version === 1) {
      await this.current(siteId)
      rows = await select()
    }
    return rows[0] ? this.#keep(toVersion(rows[0])) : null
  }

  /** Every version, newest first. */
  async versions(siteId: number): Promise<ConsentVersion[]> {
    await this.current(siteId)
    const rows = await this.#pg.query<VersionRow>(`SELECT ${COLUMNS} FROM consent_configs WHERE site_id = $1 ORDER BY version DESC`, [siteId])
    return rows.map((row) => this.#keep(toVersion(row)))
  }

  /** Writes the next version with the changes; concurrent changes are applied one after another. */
  async change(siteId: number, changes: ConsentChanges, userId: number | null): Promise<{ previous: ConsentVersion; next: ConsentVersion }> {
    await this.current(siteId)
    const written = await this.#pg.transaction(async (tx: Queryable) => {
      // One writer per site at a time: the next version number is read under this lock.
      await tx.query('SELECT id FROM sites WHERE id = $1 FOR UPDATE', [siteId])
      const [row] = await tx.query<VersionRow>(`SELECT ${COLUMNS} FROM consent_configs WHERE site_id = $1 ORDER BY version DESC LIMIT 1`, [siteId])
      const previous = toVersion(row!)
      const categories = changes.categories ? parseCategories(changes.categories) : [...previous.categories]
      const ids = new Set(categories.map((category) => category.id))
      // Texts kept from before for categories that are gone go with them; texts sent now must name existing ones.
      const kept = Object.fromEntries(
        Object.entries(previous.overrides).map(([language, own]) => [
          language,
          own.categories ? { ...own, categories: Object.fromEntries(Object.entries(own.categories).filter(([id]) => ids.has(id))) } : own,
        ]),
      )
      const overrides = changes.texts ? parseOverrides(kept, changes.texts) : kept
      for (const [language, own] of Object.entries(overrides)) {
        for (const id of Object.keys(own.categories ?? {})) {
          if (!categories.some((category) => category.id === id)) throw badRequest(`there is no category ${id}`, `texts.${language}.categories.${id}`)
        }
      }
      const texts = mergeTexts(categories, overrides)
      const policyUrl = changes.policyUrl !== undefined ? parsePolicyUrl(changes.policyUrl) : previous.policyUrl
      const [next] = await tx.query<VersionRow>(
        `INSERT INTO consent_configs (site_id, version, policy_version, policy_url, expiry_days, retention_days, categories, overrides, texts, texts_sha256, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLUMNS}`,
        [
          siteId,
          previous.version + 1,
          previous.policyVersion + (changes.newPolicyVersion ? 1 : 0),
          policyUrl,
          changes.expiryDays ?? previous.expiryDays,
          changes.retentionDays ?? previous.retentionDays,
          JSON.stringify(categories),
          JSON.stringify(overrides),
          JSON.stringify(texts),
          JSON.stringify(hashes(texts, categories, policyUrl)),
          userId,
        ],
      )
      return { previous, next: toVersion(next!) }
    })
    this.#keep(written.next)
    this.#remember(written.next)
    return written
  }

  /** Caches the current version, never replacing a newer one (changes may finish out of order). */
  #remember(version: ConsentVersion): void {
    const cached = this.#current.get(version.siteId)
    if (cached && cached.version.version > version.version) return
    this.#current.set(version.siteId, { version, expires: Date.now() + CACHE_TTL_MS })
  }
}

function hashes(texts: Record<string, BannerTexts>, categories: readonly BannerCategory[], policyUrl: string | null): Record<string, string> {
  return Object.fromEntries(Object.entries(texts).map(([language, text]) => [language, shownHash(text, categories, policyUrl)]))
}

/** What the banner receives. */
export function bannerConfig(domain: string, version: ConsentVersion): BannerConfig {
  return {
    domain,
    configVersion: version.version,
    policyVersion: version.policyVersion,
    policyUrl: version.policyUrl,
    expiryDays: version.expiryDays,
    categories: version.categories as BannerCategory[],
    texts: version.texts as Record<string, BannerTexts>,
  }
}
