// The one place that reads the environment: variables in, a validated, typed, frozen config out.
// Start-up fails with a message naming the variable when a value is wrong.
import { isIP } from 'node:net'
import { isAbsolute, resolve } from 'node:path'

export interface Config {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  readonly publicUrl: string
  /** Secret for signing (unsubscribe links, sessions in later contexts); null in development when unset. */
  readonly secretKey: string | null
  readonly clickhouse: {
    /** null → embedded chDB in `${dataDir}/clickhouse`. */
    readonly url: string | null
    readonly user: string
    readonly password: string
    readonly database: string
    /** Cluster name for the ReplicatedMergeTree + Distributed schema variant; null → single node. */
    readonly cluster: string | null
    /** Memory cap of the embedded engine, bytes. */
    readonly embeddedMaxMemoryBytes: number
  }
  /** null → embedded PGlite in `${dataDir}/postgres`. */
  readonly databaseUrl: string | null
  /** Fastify's trustProxy: false, true, a hop count, or a list of addresses/CIDRs. */
  readonly trustProxy: boolean | number | string[]
  readonly spoolMaxBytes: number
  readonly rateLimitPerMinute: number
  readonly geoip: { readonly cityPaths: readonly string[] | null; readonly asnPath: string | null }
  readonly smtpUrl: string | null
  /**
   * Who runs this installation, filled into the shipped privacy policy and terms when they are
   * first published: name and contact address (OPERATOR_CONTACT, OPERATOR_CONTACT_RU) and the
   * country whose law governs the terms (GOVERNING_LAW, GOVERNING_LAW_RU). Russian falls back to
   * the English value; null leaves the placeholder.
   */
  readonly operator: {
    readonly contact: { readonly en: string | null; readonly ru: string | null }
    readonly law: { readonly en: string | null; readonly ru: string | null }
  }
  /** Sender of Candor's own mail (verification, password reset, invitations). */
  readonly mailFrom: string
  /** Cookies get the Secure flag: TLS here, or PUBLIC_URL is https (TLS ends at a proxy). */
  readonly secureCookies: boolean
  readonly tls: { readonly cert: string; readonly key: string } | null
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  readonly production: boolean
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`)
    this.name = 'ConfigError'
  }
}

type Env = Readonly<Record<string, string | undefined>>

function text(env: Env, name: string): string | null {
  const value = env[name]?.trim()
  return value ? value : null
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name)
  if (raw === null) return fallback
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`)
  return value
}

/** Sizes accept a plain byte count or a suffix: 512MB, 2GiB, 100k. */
function byteSize(env: Env, name: string, fallback: number): number {
  const raw = text(env, name)
  if (raw === null) return fallback
  const match = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(raw)
  if (!match) throw new ConfigError(name, `must be a size such as 1073741824, 512MB or 2GiB, got "${raw}"`)
  const unit = (match[2] ?? 'b').toLowerCase()
  const power = unit.startsWith('k') ? 1 : unit.startsWith('m') ? 2 : unit.startsWith('g') ? 3 : 0
  const bytes = Math.floor(Number(match[1]) * 1024 ** power)
  if (bytes < 1024 * 1024) throw new ConfigError(name, 'must be at least 1MiB')
  return bytes
}

function url(env: Env, name: string, protocols: readonly string[]): string | null {
  const raw = text(env, name)
  if (raw === null) return null
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError(name, 'must be a URL')
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`)
  }
  return raw
}

function trustProxy(env: Env): Config['trustProxy'] {
  const raw = text(env, 'TRUST_PROXY')
  if (raw === null || /^(false|0|off|no)$/i.test(raw)) return false
  if (/^(true|on|yes)$/i.test(raw)) return true
  if (/^\d+$/.test(raw)) return Number(raw)
  const entries = raw.split(',').map((part) => part.trim()).filter(Boolean)
  for (const entry of entries) {
    if (/^(loopback|linklocal|uniquelocal)$/.test(entry)) continue
    const [address = '', prefix, extra] = entry.split('/')
    const family = isIP(address)
    const bits = family === 4 ? 32 : 128
    const validPrefix = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits)
    if (family === 0 || !validPrefix || extra !== undefined) {
      throw new ConfigError('TRUST_PROXY', `"${entry}" is not true/false, a hop count, an address or a CIDR`)
    }
  }
  return entries
}

function path(env: Env, name: string, base: string): string | null {
  const raw = text(env, name)
  return raw === null ? null : isAbsolute(raw) ? raw : resolve(base, raw)
}

/** A line of plain text for the shipped documents: no Markdown that could change their structure. */
function operatorText(env: Env, name: string): string | null {
  const value = text(env, name)
  if (value === null) return null
  if (value.length > 300 || /[\r\n<>\[\]*_`#|]/.test(value)) {
    throw new ConfigError(name, 'must be one line of plain text (no Markdown or HTML), at most 300 characters')
  }
  return value
}

function mailFrom(env: Env, publicUrl: string): string {
  const raw = text(env, 'MAIL_FROM')
  if (raw === null) return `Candor <no-reply@${new URL(publicUrl).hostname}>`
  if (!/^[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+$|^[^<>]*<[^<>@\s]+@[^<>@\s]+>$/.test(raw)) {
    throw new ConfigError('MAIL_FROM', 'must be an address such as no-reply@example.com or "Candor <no-reply@example.com>"')
  }
  return raw
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const production = env.NODE_ENV === 'production'
  const port = integer(env, 'PORT', 8080, 0, 65535)
  const host = text(env, 'HOST') ?? '0.0.0.0'
  const dataDir = path(env, 'DATA_DIR', cwd) ?? resolve(cwd, 'data')

  const publicUrl = url(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`

  const secretKey = text(env, 'SECRET_KEY')
  if (secretKey !== null && secretKey.length < 32) {
    throw new ConfigError('SECRET_KEY', 'must be at least 32 characters (e.g. `openssl rand -base64 48`)')
  }
  if (secretKey === null && production) {
    throw new ConfigError('SECRET_KEY', 'is required when NODE_ENV=production')
  }

  const database = text(env, 'CLICKHOUSE_DATABASE') ?? 'candor'
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(database)) {
    throw new ConfigError('CLICKHOUSE_DATABASE', 'must be a plain identifier (letters, digits, underscore)')
  }
  const cluster = text(env, 'CLICKHOUSE_CLUSTER')
  if (cluster !== null && !/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/.test(cluster)) {
    throw new ConfigError('CLICKHOUSE_CLUSTER', 'must be a cluster name from the server configuration')
  }

  const cityPaths = text(env, 'GEOIP_CITY_PATH')
  const cert = path(env, 'TLS_CERT', cwd)
  const key = path(env, 'TLS_KEY', cwd)
  if ((cert === null) !== (key === null)) {
    throw new ConfigError(cert === null ? 'TLS_CERT' : 'TLS_KEY', 'TLS_CERT and TLS_KEY must be set together')
  }

  const logLevel = (text(env, 'LOG_LEVEL') ?? 'info') as Config['logLevel']
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', 'must be one of fatal, error, warn, info, debug, trace, silent')
  }

  return Object.freeze({
    port,
    host,
    dataDir,
    publicUrl: publicUrl.replace(/\/+$/, ''),
    secretKey,
    clickhouse: Object.freeze({
      url: url(env, 'CLICKHOUSE_URL', ['http:', 'https:']),
      user: text(env, 'CLICKHOUSE_USER') ?? 'default',
      password: env.CLICKHOUSE_PASSWORD ?? '',
      database,
      cluster,
      embeddedMaxMemoryBytes: byteSize(env, 'CLICKHOUSE_EMBEDDED_MAX_MEMORY', 1024 ** 3),
    }),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    trustProxy: trustProxy(env),
    spoolMaxBytes: byteSize(env, 'SPOOL_MAX_BYTES', 1024 ** 3),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 600, 1, 10_000_000),
    geoip: Object.freeze({
      cityPaths: cityPaths === null ? null : cityPaths.split(',').map((p) => resolve(cwd, p.trim())),
      asnPath: path(env, 'GEOIP_ASN_PATH', cwd),
    }),
    smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    operator: Object.freeze({
      contact: Object.freeze({ en: operatorText(env, 'OPERATOR_CONTACT'), ru: operatorText(env, 'OPERATOR_CONTACT_RU') ?? operatorText(env, 'OPERATOR_CONTACT') }),
      law: Object.freeze({ en: operatorText(env, 'GOVERNING_LAW'), ru: operatorText(env, 'GOVERNING_LAW_RU') ?? operatorText(env, 'GOVERNING_LAW') }),
    }),
    mailFrom: mailFrom(env, publicUrl),
    secureCookies: cert !== null || publicUrl.startsWith('https:'),
    tls: cert !== null && key !== null ? Object.freeze({ cert, key }) : null,
    logLevel,
    production,
  })
}
