// `npm run candor -- <command>`: operator commands. When a server holds DATA_DIR, the CLI works
// through it (the operator token is in DATA_DIR/candor.lock); otherwise it opens the databases
// itself, holding the same lock, so the two never run beside each other.
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, type Config } from '../config.ts'
import { DataDirLockedError, openDatabases, readLock, usesEmbeddedDatabase } from '../db/index.ts'
import { HttpError } from '../errors.ts'
import { applyRetention } from '../privacy/index.ts'
import { SitesService, type NewSite, type Site, type SiteChanges } from '../sites/index.ts'

const USAGE = `Usage: npm run candor -- <command>

  site add <domain> [--alias <host>]... [--timezone <IANA zone>] [--retention-days <N>]
  site set <domain> [--alias <host>]... [--timezone <IANA zone>] [--retention-days <N>]
  site list
  key create --site <domain>       prints a new Stats API key as the last line

Environment: the same variables as the server (DATA_DIR, DATABASE_URL, CLICKHOUSE_URL, …).`

/** What the commands need, whether through a running server or on the databases directly. */
interface Backend {
  addSite(site: NewSite): Promise<Site>
  updateSite(domain: string, changes: SiteChanges): Promise<Site>
  listSites(): Promise<Site[]>
  createKey(domain: string): Promise<{ key: string; domain: string }>
  close(): Promise<void>
}

class UsageError extends Error {}

function remote(url: string, token: string): Backend {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(new URL(path, url), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const payload = (await response.json()) as T & { error?: string; message?: string; field?: string }
    if (!response.ok) throw new HttpError(response.status, payload.error ?? 'error', payload.message ?? response.statusText, payload.field)
    return payload
  }
  const path = (domain: string) => `/api/admin/sites/${encodeURIComponent(domain)}`
  return {
    addSite: (site) => call('POST', '/api/admin/sites', site),
    updateSite: (domain, changes) => call('PATCH', path(domain), changes),
    listSites: async () => (await call<{ sites: Site[] }>('GET', '/api/admin/sites')).sites,
    createKey: (domain) => call('POST', `${path(domain)}/keys`),
    close: async () => {},
  }
}

async function local(config: Config): Promise<Backend> {
  const databases = await openDatabases(config)
  const sites = new SitesService(databases.postgres)
  sites.onRetentionChange((site) => applyRetention(databases.clickhouse, site.id, site.retentionDays))
  return {
    addSite: (site) => sites.add(site),
    updateSite: (domain, changes) => sites.update(domain, changes),
    listSites: () => sites.list(),
    createKey: async (domain) => {
      const { key, site } = await sites.createKey(domain)
      return { key, domain: site.domain }
    },
    close: () => databases.close(),
  }
}

async function connect(config: Config): Promise<Backend> {
  if (!usesEmbeddedDatabase(config)) return local(config)
  const holder = readLock(config.dataDir)
  if (holder?.url && holder.token) return remote(holder.url, holder.token)
  if (holder) throw new DataDirLockedError(config.dataDir, holder)
  return local(config)
}

function siteOptions(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { alias: { type: 'string', multiple: true }, timezone: { type: 'string' }, 'retention-days': { type: 'string' } },
  })
  const retention = values['retention-days']
  if (retention !== undefined && !/^\d+$/.test(retention)) throw new UsageError('--retention-days takes a whole number of days')
  return {
    domain: positionals[0],
    extra: positionals.slice(1),
    changes: {
      ...(values.alias ? { aliases: values.alias } : {}),
      ...(values.timezone ? { timezone: values.timezone } : {}),
      ...(retention !== undefined ? { retentionDays: Number(retention) } : {}),
    },
  }
}

const describe = (site: Site) =>
  `${site.domain}\ttimezone ${site.timezone}\tretention ${site.retentionDays} days` +
  (site.aliases.length > 0 ? `\taliases ${site.aliases.join(', ')}` : '')

async function run(argv: string[], out: (line: string) => void): Promise<void> {
  const [group, action, ...rest] = argv
  if (!group || group === 'help' || group === '--help') return out(USAGE)
  const command = `${group} ${action ?? ''}`.trim()
  const known = ['site add', 'site set', 'site list', 'key create']
  if (!known.includes(command)) throw new UsageError(`unknown command "${command}"`)

  const config = loadConfig()
  const backend = await connect(config)
  try {
    switch (command) {
      case 'site add': {
        const { domain, extra, changes } = siteOptions(rest)
        if (!domain || extra.length > 0) throw new UsageError('site add takes one domain')
        const site = await backend.addSite({ domain, ...changes })
        out(`added ${describe(site)}`)
        break
      }
      case 'site set': {
        const { domain, extra, changes } = siteOptions(rest)
        if (!domain || extra.length > 0 || Object.keys(changes).length === 0) {
          throw new UsageError('site set takes one domain and at least one of --alias, --timezone, --retention-days')
        }
        out(`updated ${describe(await backend.updateSite(domain, changes))}`)
        break
      }
      case 'site list': {
        const sites = await backend.listSites()
        if (sites.length === 0) out('no sites yet: npm run candor -- site add example.com')
        for (const site of sites) out(describe(site))
        break
      }
      case 'key create': {
        const { values } = parseArgs({ args: rest, options: { site: { type: 'string' } } })
        if (!values.site) throw new UsageError('key create needs --site <domain>')
        const { key, domain } = await backend.createKey(values.site)
        out(`Stats API key for ${domain} (shown once; only its hash is stored):`)
        out(key)
        break
      }
    }
  } finally {
    await backend.close()
  }
}

try {
  await run(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`))
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`candor: ${error.message}\n\n${USAGE}\n`)
    process.exitCode = 2
  } else if (error instanceof HttpError || error instanceof ConfigError || error instanceof DataDirLockedError) {
    process.stderr.write(`candor: ${error.message}\n`)
    process.exitCode = 1
  } else if (error instanceof TypeError && /parseArgs|Unknown option|ERR_PARSE_ARGS/.test(`${(error as NodeJS.ErrnoException).code} ${error.message}`)) {
    process.stderr.write(`candor: ${error.message}\n\n${USAGE}\n`)
    process.exitCode = 2
  } else {
    throw error
  }
}
