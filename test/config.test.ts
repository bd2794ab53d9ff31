// loadConfig(env, cwd): defaults, every rejected value named by its variable, accepted forms of
// sizes and TRUST_PROXY, a frozen result; and `npm start` refusing a bad variable with exit code 78.
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../server/config.ts'
import { projectRoot } from '../server/paths.ts'

const CWD = '/srv/candor'
const SECRET = 'k'.repeat(32)

/** The ConfigError loadConfig throws for `env`, or a failure when it does not throw one. */
function rejection(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, CWD)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`)
}

describe('defaults', () => {
  it('runs with an empty environment on the embedded databases', () => {
    const config = loadConfig({}, CWD)
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/srv/candor/data',
      publicUrl: 'http://localhost:8080',
      secretKey: null,
      databaseUrl: null,
      trustProxy: false,
      spoolMaxBytes: 1024 ** 3,
      rateLimitPerMinute: 600,
      smtpUrl: null,
      tls: null,
      logLevel: 'info',
      production: false,
    })
    expect(config.clickhouse).toMatchObject({ url: null, user: 'default', password: '', database: 'candor', cluster: null })
    expect(config.geoip).toEqual({ cityPaths: null, asnPath: null })
  })

  it('resolves a relative DATA_DIR against cwd and keeps an absolute one', () => {
    expect(loadConfig({ DATA_DIR: 'var/candor' }, CWD).dataDir).toBe('/srv/candor/var/candor')
    expect(loadConfig({ DATA_DIR: '/data/candor' }, CWD).dataDir).toBe('/data/candor')
  })

  it('treats blank values as unset and trims the rest', () => {
    expect(loadConfig({ PORT: '  ', HOST: '' }, CWD)).toMatchObject({ port: 8080, host: '0.0.0.0' })
    expect(loadConfig({ PORT: ' 9000 ' }, CWD).port).toBe(9000)
  })

  it('derives PUBLIC_URL from PORT and drops a trailing slash from a given one', () => {
    expect(loadConfig({ PORT: '3000' }, CWD).publicUrl).toBe('http://localhost:3000')
    expect(loadConfig({ PUBLIC_URL: 'https://stats.example.com/' }, CWD).publicUrl).toBe('https://stats.example.com')
  })

  it('reads the external databases, TLS and production settings', () => {
    const config = loadConfig(
      {
        NODE_ENV: 'production',
        SECRET_KEY: SECRET,
        CLICKHOUSE_URL: 'https://ch.internal:8443',
        CLICKHOUSE_USER: 'candor',
        CLICKHOUSE_PASSWORD: 'pw',
        CLICKHOUSE_DATABASE: 'analytics_1',
        DATABASE_URL: 'postgresql://candor@db/candor',
        TLS_CERT: 'tls/cert.pem',
        TLS_KEY: '/etc/tls/key.pem',
        LOG_LEVEL: 'warn',
      },
      CWD,
    )
    expect(config).toMatchObject({
      production: true,
      secretKey: SECRET,
      databaseUrl: 'postgresql://candor@db/candor',
      tls: { cert: '/srv/candor/tls/cert.pem', key: '/etc/tls/key.pem' },
      logLevel: 'warn',
    })
    expect(config.clickhouse).toMatchObject({ url: 'https://ch.internal:8443', user: 'candor', password: 'pw', database: 'analytics_1' })
  })
})

describe('rejected values name their variable', () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '-1' }],
    ['SPOOL_MAX_BYTES', { SPOOL_MAX_BYTES: 'lots' }],
    ['SPOOL_MAX_BYTES', { SPOOL_MAX_BYTES: '100k' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'maybe' }],
    ['CLICKHOUSE_URL', { CLICKHOUSE_URL: 'ftp://x' }],
    ['CLICKHOUSE_URL', { CLICKHOUSE_URL: 'not a url' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['SECRET_KEY', { SECRET_KEY: 'short' }],
    ['SECRET_KEY', { NODE_ENV: 'production' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['CLICKHOUSE_DATABASE', { CLICKHOUSE_DATABASE: 'x;drop' }],
    ['CLICKHOUSE_CLUSTER', { CLICKHOUSE_CLUSTER: 'a b' }],
    ['RATE_LIMIT_PER_MINUTE', { RATE_LIMIT_PER_MINUTE: '0' }],
    ['PUBLIC_URL', { PUBLIC_URL: 'stats.example.com' }],
    ['SMTP_URL', { SMTP_URL: 'http://mail' }],
    ['OPERATOR_CONTACT', { OPERATOR_CONTACT: 'Evil [link](javascript:alert(1))' }],
    ['OPERATOR_CONTACT_RU', { OPERATOR_CONTACT_RU: 'строка\nещё строка' }],
    ['GOVERNING_LAW', { GOVERNING_LAW: '<b>England</b>' }],
  ]
  it.each(cases)('%s: %j', (variable, env) => {
    const error = rejection(env)
    expect(error.variable).toBe(variable)
    expect(error.message.startsWith(`${variable}: `)).toBe(true)
  })

  it('TLS_CERT without TLS_KEY (and the reverse) names both', () => {
    for (const env of [{ TLS_CERT: 'cert.pem' }, { TLS_KEY: 'key.pem' }] as Array<Record<string, string>>) {
      const error = rejection(env)
      expect(['TLS_CERT', 'TLS_KEY']).toContain(error.variable)
      expect(error.message).toMatch(/TLS_CERT and TLS_KEY must be set together/)
    }
  })

  it('says what to fix', () => {
    expect(rejection({ PORT: 'abc' }).message).toBe('PORT: must be a whole number, got "abc"')
    expect(rejection({ DATABASE_URL: 'mysql://x' }).message).toMatch(/postgres: or postgresql:, got mysql:/)
    expect(rejection({ SECRET_KEY: 'short' }).message).toMatch(/at least 32 characters/)
    expect(rejection({ NODE_ENV: 'production' }).message).toMatch(/required when NODE_ENV=production/)
  })

  it('never repeats a secret in its message', () => {
    expect(rejection({ SECRET_KEY: 'hunter2-secret' }).message).not.toContain('hunter2')
  })

  // Entries that are neither addresses nor CIDRs must fail here, with exit code 78, not later
  // inside Fastify's proxy-addr with a stack trace.
  it.each(['dead', 'cafe', '300.1.2.3', '10.0.0.0/99'])('TRUST_PROXY=%s is not an address or CIDR', (value) => {
    expect(rejection({ TRUST_PROXY: value }).variable).toBe('TRUST_PROXY')
  })
})

describe('accepted forms', () => {
  it("reads the operator's details for the shipped documents, Russian falling back to English", () => {
    expect(loadConfig({ OPERATOR_CONTACT: 'Example Ltd, privacy@example.com', GOVERNING_LAW: 'England and Wales', GOVERNING_LAW_RU: 'Англии и Уэльса' }, CWD).operator).toEqual({
      contact: { en: 'Example Ltd, privacy@example.com', ru: 'Example Ltd, privacy@example.com' },
      law: { en: 'England and Wales', ru: 'Англии и Уэльса' },
    })
    expect(loadConfig({}, CWD).operator).toEqual({ contact: { en: null, ru: null }, law: { en: null, ru: null } })
  })

  it.each([
    ['1073741824', 1073741824],
    ['512MB', 512 * 1024 ** 2],
    ['512 mb', 512 * 1024 ** 2],
    ['2GiB', 2 * 1024 ** 3],
    ['1.5G', 1.5 * 1024 ** 3],
    ['4096k', 4096 * 1024],
  ])('SPOOL_MAX_BYTES=%s is %d bytes', (value, bytes) => {
    expect(loadConfig({ SPOOL_MAX_BYTES: value }, CWD).spoolMaxBytes).toBe(bytes)
  })

  it('sizes the embedded ClickHouse memory the same way', () => {
    expect(loadConfig({ CLICKHOUSE_EMBEDDED_MAX_MEMORY: '2GiB' }, CWD).clickhouse.embeddedMaxMemoryBytes).toBe(2 * 1024 ** 3)
  })

  it.each([
    ['true', true],
    ['TRUE', true],
    ['yes', true],
    ['false', false],
    ['off', false],
    ['0', false],
    ['2', 2],
    ['10.0.0.0/8', ['10.0.0.0/8']],
    ['10.0.0.0/8, 192.168.1.1 ,fd00::/8', ['10.0.0.0/8', '192.168.1.1', 'fd00::/8']],
    ['loopback,uniquelocal', ['loopback', 'uniquelocal']],
  ])('TRUST_PROXY=%s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }, CWD).trustProxy).toEqual(expected)
  })

  it('splits GEOIP_CITY_PATH and resolves each path', () => {
    expect(loadConfig({ GEOIP_CITY_PATH: 'geo/v4.mmdb, /geo/v6.mmdb' }, CWD).geoip.cityPaths).toEqual([
      '/srv/candor/geo/v4.mmdb',
      '/geo/v6.mmdb',
    ])
  })
})

describe('the result', () => {
  it('is frozen, nested objects included', () => {
    const config = loadConfig({ TLS_CERT: 'c.pem', TLS_KEY: 'k.pem', TRUST_PROXY: '10.0.0.0/8' }, CWD)
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.clickhouse)).toBe(true)
    expect(Object.isFrozen(config.geoip)).toBe(true)
    expect(Object.isFrozen(config.tls)).toBe(true)
    expect(() => {
      ;(config as { port: number }).port = 1
    }).toThrow(TypeError)
    expect(() => {
      ;(config.clickhouse as { url: string | null }).url = 'http://elsewhere'
    }).toThrow(TypeError)
    expect(config.port).toBe(8080)
    expect(config.clickhouse.url).toBeNull()
  })
})

describe('npm start with a bad variable', () => {
  it('exits with code 78 and a message naming the variable', async () => {
    const child = spawn('npx', ['tsx', 'server/main.ts'], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: 'abc', DATA_DIR: '/nonexistent/candor-never-opened' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(stderr).toContain('candor: configuration error: PORT: must be a whole number, got "abc"')
    expect(code).toBe(78)
  })
})
