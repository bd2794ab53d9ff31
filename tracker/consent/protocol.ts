/**
 * What the consent banner (tracker/consent/banner.ts) and the server (server/consent/) say to each
 * other. Types only: the banner bundle and the server both import them, nothing of it ships.
 *
 *   GET  /api/consent/config?domain=example.com  -> BannerConfig   (CORS *, ETag)
 *   POST /api/consent                            <- DecisionRequest -> DecisionResponse (201)
 *        sent as text/plain JSON (no CORS preflight), like the tracker's events
 *   GET  /api/consent/:consentId                 -> ConsentHistory, with the receipt in the
 *        X-Consent-Receipt header (never in the URL); a wrong receipt answers 404 like an unknown id
 *
 * The decision lives on the visitor's device in one first-party cookie, `candor_consent`, whose
 * value is encodeURIComponent(JSON.stringify(StoredConsent)).
 */

/** Google Consent Mode v2 types a category can grant. */
export const CONSENT_MODE_TYPES = [
  'ad_storage',
  'ad_user_data',
  'ad_personalization',
  'analytics_storage',
  'functionality_storage',
  'personalization_storage',
  'security_storage',
] as const
export type ConsentModeType = (typeof CONSENT_MODE_TYPES)[number]

/** How a decision was made. */
export const CONSENT_METHODS = ['accept_all', 'reject_all', 'custom', 'withdraw', 'gpc', 'expired_reprompt'] as const
export type ConsentMethod = (typeof CONSENT_METHODS)[number]

/** Languages whose texts are built in; a site may add others through its texts. */
export const BUILT_IN_LANGUAGES = ['en', 'ru'] as const

export interface BannerService {
  /** stable id, e.g. "google-analytics"; matches `data-service` on blocked scripts */
  id: string
  /** shown to the visitor, e.g. "Google Analytics" */
  name: string
  /**
   * Cookies the service sets, deleted when its category is refused or withdrawn. A name, or a
   * prefix ending in `*` (e.g. `_ga_*`). Deleted on the page's host and on every parent domain.
   */
  cookies: string[]
}

export interface BannerCategory {
  /** "necessary", "analytics", "marketing", or a category the site defines (a-z, 0-9, _ and -) */
  id: string
  /** always granted, shown as on and disabled; only "necessary" is */
  necessary: boolean
  /** Consent Mode types this category grants */
  consentMode: ConsentModeType[]
  services: BannerService[]
}

/** Every text the banner shows, in one language. Site overrides are merged in by the server. */
export interface BannerTexts {
  /** text direction of this language */
  dir: 'ltr' | 'rtl'
  title: string
  description: string
  acceptAll: string
  rejectAll: string
  preferences: string
  save: string
  close: string
  /** label of the link to `policyUrl` */
  policy: string
  /** shown on a necessary category's switch */
  alwaysOn: string
  services: string
  cookies: string
  /** the preferences layer's note when a Global Privacy Control signal was honoured */
  gpcHonoured: string
  /** the preferences layer's "download my consent record" */
  download: string
  categories: Record<string, { title: string; description: string }>
}

export interface BannerConfig {
  /** the site's domain, as configured */
  domain: string
  /** version of this configuration; a decision names it and the server hashes what it showed */
  configVersion: number
  /** version of the site's policy; a stored decision for another version is asked again */
  policyVersion: number
  /** the site's privacy policy, linked from both layers; null hides the link */
  policyUrl: string | null
  /** how long a decision lasts before it is asked again */
  expiryDays: number
  /** in the order shown; "necessary" first */
  categories: BannerCategory[]
  /** by language code ("en", "ru", …); always holds "en" and "ru" */
  texts: Record<string, BannerTexts>
}

export interface DecisionRequest {
  domain: string
  method: ConsentMethod
  /** categories granted; "necessary" is implied and may be omitted */
  granted: string[]
  /** the configuration whose texts were shown */
  configVersion: number
  /** a key of BannerConfig.texts: the language shown */
  language: string
  /** location.pathname of the page the decision was made on */
  path: string
  /** navigator.globalPrivacyControl === true */
  gpc: boolean
  /** the browser's clock, milliseconds since the epoch */
  clientTime: number
  /** the banner script's version */
  bannerVersion: string
  /** a later decision of the same consent: its id and receipt; absent on the first decision */
  consentId?: string
  receipt?: string
  /**
   * A first decision that follows an expired or outdated one (method accept_all, reject_all,
   * custom or gpc after an expired_reprompt): the old consent, linked as its predecessor.
   */
  previous?: { consentId: string; receipt: string }
}

export interface DecisionResponse {
  consentId: string
  /** the secret receipt: issued on the first decision, repeated on later ones */
  receipt: string
  /** the record just written */
  eventId: string
  /** server time of the record, ISO 8601 */
  time: string
  /** categories granted, "necessary" included */
  granted: string[]
  denied: string[]
  /** Consent Mode types granted by those categories */
  consentMode: ConsentModeType[]
  policyVersion: number
}

export interface ConsentRecord {
  eventId: string
  /** server time, ISO 8601 */
  time: string
  /** the browser's clock, ISO 8601 */
  clientTime: string
  method: ConsentMethod
  granted: string[]
  denied: string[]
  policyVersion: number
  configVersion: number
  bannerVersion: string
  /**
   * SHA-256 (hex) of what the banner showed in that language, computed by the server from the
   * configuration version: sorted-key JSON of { categories, policyUrl, texts } (texts of the language)
   */
  textsSha256: string
  language: string
  path: string
  gpc: boolean
  /** ISO 3166-1 alpha-2, or "" */
  country: string
  browser: string
  previousConsentId: string | null
}

export interface ConsentHistory {
  consentId: string
  domain: string
  /** oldest first */
  records: ConsentRecord[]
}

/** The `candor_consent` cookie. */
export interface StoredConsent {
  id: string
  receipt: string
  /** categories granted, "necessary" included */
  categories: string[]
  consentMode: ConsentModeType[]
  policyVersion: number
  /** when the decision was made, milliseconds since the epoch */
  time: number
  /** the decision was GPC's, not the visitor's own */
  gpc?: boolean
}
