// Consent records: one ClickHouse row per decision, append-only, acknowledged once on disk. The
// first decision of a consent gets a random id and a secret receipt; the receipt is kept only as
// its SHA-256, and every later decision, and every reading by the visitor, must present it.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { ConsentHistory, ConsentMethod, ConsentModeType, ConsentRecord, DecisionRequest, DecisionResponse } from '../../tracker/consent/protocol.ts'
import type { ClickHouse } from '../db/index.ts'
import { badRequest, notFound } from '../errors.ts'
import { applyTableRetention, tableOutOfDate } from '../privacy/index.ts'
import type { ConsentConfigs, ConsentVersion } from './configs.ts'

export const RECORD_COLUMNS = [
  'site_id',
  'consent_id',
  'event_id',
  'time',
  'client_time',
  'method',
  'granted',
  'denied',
  'consent_mode',
  'policy_version',
  'config_version',
  'banner_version',
  'texts_sha256',
  'language',
  'path',
  'gpc',
  'country_code',
  'browser',
  'previous_consent_id',
  'receipt_sha256',
  'retention_days',
] as const

/** What the server knows of the request besides its body; the IP itself never gets here. */
export interface DecisionContext {
  siteId: number
  /** the site's current retention of consent records, which every new record carries */
  retentionDays: number
  country: string
  browser: string
  receivedAt: number
}

interface RecordRow {
  site_id: number
  consent_id: string
  event_id: string
  time: string
  client_time: string
  method: ConsentMethod
  granted: string[]
  denied: string[]
  policy_version: number
  config_version: number
  banner_version: string
  texts_sha256: string
  language: string
  path: string
  gpc: boolean | number
  country_code: string
  browser: string
  previous_consent_id: string | null
  receipt_sha256: string
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
/** ClickHouse's DateTime64(3) text form, UTC. */
const chTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
const isoTime = (text: string) => `${text.replace(' ', 'T')}Z`
/** The browser's clock may be off; beyond these bounds it is broken, and DateTime64 could not hold it. */
const EARLIEST_CLIENT_TIME = Date.UTC(2000, 0, 1)
const LATEST_CLIENT_TIME = Date.UTC(2200, 0, 1)

const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

const toRecord = (row: RecordRow): ConsentRecord => ({
  eventId: row.event_id,
  time: isoTime(row.time),
  clientTime: isoTime(row.client_time),
  method: row.method,
  granted: row.granted,
  denied: row.denied,
  policyVersion: Number(row.policy_version),
  configVersion: Number(row.config_version),
  bannerVersion: row.banner_version,
  textsSha256: row.texts_sha256,
  language: row.language,
  path: row.path,
  gpc: row.gpc === true || row.gpc === 1,
  country: row.country_code,
  browser: row.browser,
  previousConsentId: row.previous_consent_id,
})

/** Which categories a method allows, given the configuration's. */
function checkMethod(method: ConsentMethod, granted: ReadonlySet<string>, version: ConsentVersion, request: DecisionRequest): void {
  const optional = version.categories.filter((category) => !category.necessary).map((category) => category.id)
  const none = optional.every((id) => !granted.has(id))
  if (method === 'accept_all' && !optional.every((id) => granted.has(id))) throw badRequest('accept_all grants every category', 'granted')
  if ((method === 'reject_all' || method === 'gpc' || method === 'expired_reprompt') && !none) {
    throw badRequest(`${method} grants only the necessary category`, 'granted')
  }
  if (method === 'gpc' && !request.gpc) throw badRequest('a gpc decision needs the Global Privacy Control signal', 'gpc')
  if ((method === 'withdraw' || method === 'expired_reprompt') && request.consentId === undefined) {
    throw badRequest(`${method} changes an earlier decision: send its consentId and receipt`, 'consentId')
  }
}

export class ConsentRecords {
  readonly #clickhouse: ClickHouse
  readonly #configs: ConsentConfigs

  constructor(clickhouse: ClickHouse, configs: ConsentConfigs) {
    this.#clickhouse = clickhouse
    this.#configs = configs
  }

  /** The categories last granted to a consent of the site, or null when it has none with that id and receipt. */
  async #latest(siteId: number, consentId: string, receipt: string): Promise<{ granted: string[] } | null> {
    const result = await this.#clickhouse.client.query({
      query: `SELECT receipt_sha256, granted FROM consent_records WHERE site_id = {site:UInt32} AND consent_id = {id:UUID}
              ORDER BY time DESC, event_id DESC LIMIT 1`,
      query_params: { site: siteId, id: consentId },
      format: 'JSONEachRow',
    })
    const [row] = await result.json<{ receipt_sha256: string; granted: string[] }>()
    if (!row || !sameHash(row.receipt_sha256, sha256(receipt))) return null
    return { granted: row.granted }
  }

  /** Checks a decision against the site's configuration and appends it. Nothing is written when it is refused. */
  async decide(request: DecisionRequest, context: DecisionContext): Promise<DecisionResponse> {
    const version = await this.#configs.version(context.siteId, request.configVersion)
    if (!version) throw badRequest(`the site has no configuration version ${request.configVersion}`, 'configVersion')
    // Own keys only: "constructor" and friends are not languages.
    const textsSha256 = Object.hasOwn(version.textsSha256, request.language) ? version.textsSha256[request.language] : undefined
    if (!textsSha256) throw badRequest(`the configuration has no texts in ${request.language}`, 'language')
    const known = new Set(version.categories.map((category) => category.id))
    for (const id of request.granted) if (!known.has(id)) throw badRequest(`the site has no category ${id}`, 'granted')
    const granted = new Set(request.granted)
    for (const category of version.categories) if (category.necessary) granted.add(category.id)
    checkMethod(request.method, granted, version, request)
    if (request.clientTime < EARLIEST_CLIENT_TIME || request.clientTime > LATEST_CLIENT_TIME) throw badRequest('clientTime is not a plausible time', 'clientTime')

    let consentId: string
    let receipt: string
    let previous: string | null = null
    if (request.consentId !== undefined) {
      if (request.receipt === undefined) throw badRequest('a later decision needs the receipt of the first', 'receipt')
      if (request.previous !== undefined) throw badRequest('only a first decision follows a previous consent', 'previous')
      const latest = await this.#latest(context.siteId, request.consentId, request.receipt)
      if (!latest) throw notFound('no consent with this id and receipt on this site')
      if (request.method === 'withdraw' && latest.granted.every((id) => granted.has(id))) {
        throw badRequest('withdraw takes back a category granted before; this decision takes back none', 'granted')
      }
      consentId = request.consentId
      receipt = request.receipt
    } else {
      if (request.receipt !== undefined) throw badRequest('a receipt goes with its consentId', 'consentId')
      if (request.previous !== undefined) {
        const latest = await this.#latest(context.siteId, request.previous.consentId, request.previous.receipt)
        if (!latest) throw notFound('no previous consent with this id and receipt on this site')
        previous = request.previous.consentId
      }
      consentId = randomUUID()
      receipt = randomBytes(24).toString('base64url')
    }

    const grantedList = version.categories.filter((category) => granted.has(category.id))
    const denied = version.categories.filter((category) => !granted.has(category.id)).map((category) => category.id)
    const consentMode = [...new Set(grantedList.flatMap((category) => category.consentMode))] as ConsentModeType[]
    const eventId = randomUUID()
    const row = [
      context.siteId,
      consentId,
      eventId,
      chTime(context.receivedAt),
      chTime(request.clientTime),
      request.method,
      grantedList.map((category) => category.id),
      denied,
      consentMode,
      version.policyVersion,
      version.version,
      request.bannerVersion,
      textsSha256,
      request.language,
      // Only the path: a query string or fragment may carry personal data.
      request.path.replace(/[?#][\s\S]*$/, ''),
      request.gpc,
      context.country,
      context.browser,
      previous,
      sha256(receipt),
      context.retentionDays,
    ]
    await this.#clickhouse.insertRows('consent_records', RECORD_COLUMNS, Buffer.from(`${JSON.stringify(row)}\n`), `candor-consent-${eventId}`)
    return {
      consentId,
      receipt,
      eventId,
      time: new Date(context.receivedAt).toISOString(),
      granted: grantedList.map((category) => category.id),
      denied,
      consentMode,
      policyVersion: version.policyVersion,
    }
  }

  async #records(where: string, params: Record<string, unknown>): Promise<RecordRow[]> {
    const result = await this.#clickhouse.client.query({
      // JSON output gives UUIDs, enums and DateTime64 as text already; aliases would shadow the columns in WHERE.
      query: `SELECT site_id, consent_id, event_id, time, client_time, method, granted, denied, policy_version, config_version,
                     banner_version, texts_sha256, language, path, gpc, country_code, browser, previous_consent_id, receipt_sha256
              FROM consent_records WHERE ${where} ORDER BY time, event_id`,
      query_params: params,
      format: 'JSONEachRow',
    })
    return result.json<RecordRow>()
  }

  /** A consent's history for whoever holds its receipt; null when the id or the receipt is wrong. */
  async history(consentId: string, receipt: string): Promise<{ siteId: number; records: ConsentRecord[] } | null> {
    const rows = await this.#records('consent_id = {id:UUID}', { id: consentId })
    if (rows.length === 0 || !sameHash(rows[0]!.receipt_sha256, sha256(receipt))) return null
    return { siteId: Number(rows[0]!.site_id), records: rows.map(toRecord) }
  }

  /** A consent's history for the site's staff; null when the site has no such consent. */
  async historyOnSite(siteId: number, consentId: string): Promise<ConsentRecord[] | null> {
    const rows = await this.#records('site_id = {site:UInt32} AND consent_id = {id:UUID}', { site: siteId, id: consentId })
    return rows.length === 0 ? null : rows.map(toRecord)
  }

  /** Whether any stored record of the site carries another retention than `retentionDays`. */
  outOfDate(siteId: number, retentionDays: number): Promise<boolean> {
    return tableOutOfDate(this.#clickhouse, 'consent_records', siteId, retentionDays)
  }

  /** Rewrites stored records of a site to a new retention; TTL then removes those past it. */
  applyRetention(siteId: number, retentionDays: number): Promise<void> {
    return applyTableRetention(this.#clickhouse, 'consent_records', siteId, retentionDays)
  }
}

export type { ConsentHistory }
