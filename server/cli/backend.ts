// What the CLI's commands act on: the running server's operator routes, or the databases
// themselves when no server holds DATA_DIR (the CLI then holds the lock).
import type { User } from '../accounts/index.ts'
import { AccountsService } from '../accounts/index.ts'
import type { Config } from '../config.ts'
import { DataDirLockedError, openDatabases, readLock, usesEmbeddedDatabase } from '../db/index.ts'
import { DocumentsService, publishFromFile, type PublishedDocument } from '../documents/index.ts'
import { openMail } from '../email/index.ts'
import { HttpError } from '../errors.ts'
import { applyRetention } from '../privacy/index.ts'
import { seedTraffic, type SeedProgress, type SeedStreamLine, type SeedSummary } from '../seed/index.ts'
import { SitesService, type NewSite, type Site, type SiteChanges } from '../sites/index.ts'

type PublishFromFile = Parameters<typeof publishFromFile>[1]

export interface NewAccount {
  firstName: string
  lastName: string
  email: string
  login: string
  password: string
  role: 'admin' | 'customer'
}

export interface SeedOrder {
  site: string
  events: number
  days: number
  seed?: number
}

export interface Backend {
  addSite(site: NewSite): Promise<Site>
  updateSite(domain: string, changes: SiteChanges): Promise<Site>
  listSites(): Promise<Site[]>
  createKey(domain: string): Promise<{ key: string; domain: string }>
  createUser(account: NewAccount): Promise<User>
  listUsers(): Promise<User[]>
  publish(file: PublishFromFile): Promise<PublishedDocument>
  /** Fills a site with synthetic traffic, reporting progress as it goes. */
  seed(order: SeedOrder, onProgress: (progress: SeedProgress) => void): Promise<SeedSummary>
  close(): Promise<void>
}

/** Runs the seeding on the server and follows its streamed answer line by line. */
async function seedThrough(url: string, token: string, order: SeedOrder, onProgress: (progress: SeedProgress) => void): Promise<SeedSummary> {
  const response = await fetch(new URL('/api/admin/seed', url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(order),
  })
  if (!response.ok || !response.body) {
    const payload = (await response.json().catch(() => ({}))) as { error?: string; message?: string; field?: string }
    throw new HttpError(response.status, payload.error ?? 'error', payload.message ?? response.statusText, payload.field)
  }
  let pending = ''
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    pending += value
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const text of lines) {
      if (!text) continue
      const line = JSON.parse(text) as SeedStreamLine
      if ('progress' in line) onProgress(line.progress)
      else if ('summary' in line) return line.summary
      else throw new HttpError(500, line.error, line.message)
    }
  }
  throw new HttpError(502, 'seed_interrupted', 'the server ended the answer before seeding finished')
}

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
    createUser: (account) => call('POST', '/api/admin/users', account),
    listUsers: async () => (await call<{ users: User[] }>('GET', '/api/admin/users')).users,
    publish: (file) => publishFromFile({ publish: (input) => call('POST', '/api/admin/documents', input) }, file),
    seed: (order, onProgress) => seedThrough(url, token, order, onProgress),
    close: async () => {},
  }
}

async function local(config: Config): Promise<Backend> {
  const databases = await openDatabases(config)
  const mail = await openMail(config)
  const documents = new DocumentsService(databases.postgres)
  const accounts = new AccountsService({ pg: databases.postgres, mailer: mail.mailer, documents, publicUrl: config.publicUrl })
  const sites = new SitesService(databases.postgres, mail.mailer, config.publicUrl)
  sites.onRetentionChange((site) => applyRetention(databases.clickhouse, site.id, site.retentionDays))
  return {
    addSite: (site) => sites.add(site),
    updateSite: (domain, changes) => sites.update(domain, changes),
    listSites: () => sites.list(),
    createKey: async (domain) => {
      const site = await sites.get(domain)
      const { key } = await sites.keys.createForSite(site)
      return { key, domain: site.domain }
    },
    createUser: (account) => accounts.createByOperator(account),
    listUsers: () => accounts.list(),
    publish: (file) => publishFromFile(documents, file, config.operator),
    seed: async ({ site: domain, ...request }, onProgress) =>
      seedTraffic(databases.clickhouse.insertRows, await sites.get(domain), request, onProgress),
    async close() {
      await mail.close()
      await databases.close()
    },
  }
}

export async function connect(config: Config): Promise<Backend> {
  if (!usesEmbeddedDatabase(config)) return local(config)
  const holder = readLock(config.dataDir)
  if (holder?.url && holder.token) return remote(holder.url, holder.token)
  if (holder) throw new DataDirLockedError(config.dataDir, holder)
  return local(config)
}
