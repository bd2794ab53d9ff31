// The operator CLI as a child process (`node --import tsx server/cli/main.ts`, what `npm run candor`
// runs). Without a server it opens DATA_DIR's databases itself; with a server holding DATA_DIR it
// works through the server's operator routes and never opens the databases beside it.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectRoot } from '../../server/paths.ts'
import { freePort, startServerProcess, type ServerProcess } from '../helpers/server-process.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'candor-cli-'))
const lockFile = join(dataDir, 'candor.lock')

/** The embedded databases in `dataDir`, whatever the environment running the tests points at. */
const env = (dir: string): NodeJS.ProcessEnv => ({
  ...process.env,
  DATA_DIR: dir,
  DATABASE_URL: '',
  CLICKHOUSE_URL: '',
  NODE_ENV: '',
  SECRET_KEY: '',
  LOG_LEVEL: 'warn',
})

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

const children = new Set<ChildProcess>()

function spawnTracked(args: string[], dir: string, extra: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: projectRoot,
    env: { ...env(dir), ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code) => {
      children.delete(child)
      resolve({ code, stdout, stderr })
    }),
  )
  return { child, done }
}

const candor = (args: string[], dir = dataDir) => spawnTracked([join('server', 'cli', 'main.ts'), ...args], dir).done
const lastLine = (text: string) => text.trimEnd().split('\n').at(-1) ?? ''
/** A clear message is one line from us, not an unhandled error's stack. */
const expectNoStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m)

let key = ''

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

describe('usage', () => {
  it('prints usage and exits 2 for an unknown command', async () => {
    for (const args of [['frobnicate'], ['site'], ['site', 'remove', 'shop.test'], ['key']]) {
      const run = await candor(args)
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr).toMatch(/^candor: unknown command "/)
      expect(run.stderr).toContain('Usage: npm run candor -- <command>')
      expect(run.stdout).toBe('')
    }
  })

  it('prints usage on stdout for help', async () => {
    for (const args of [[], ['help'], ['--help']]) {
      const run = await candor(args)
      expect(run.code).toBe(0)
      expect(run.stdout).toContain('key create --site <domain>')
    }
  })

  it('prints usage and exits 2 for missing or malformed arguments', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['site', 'add'], /site add takes one domain/],
      [['site', 'add', 'a.test', 'b.test'], /site add takes one domain/],
      [['site', 'set', 'a.test'], /at least one of --alias, --timezone, --retention-days/],
      [['key', 'create'], /key create needs --site <domain>/],
      [['site', 'add', 'a.test', '--retention-days', 'thirty'], /--retention-days takes a whole number/],
      [['site', 'add', 'a.test', '--colour', 'blue'], /Unknown option '--colour'/],
    ]
    for (const [args, message] of cases) {
      const run = await candor(args)
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr).toMatch(message)
      expect(run.stderr).toContain('Usage:')
      expectNoStack(run.stderr)
    }
    // None of them added a site.
    expect((await candor(['site', 'list'])).stdout).toContain('no sites yet')
  }, 180_000)
})

describe('without a server: the CLI opens the databases itself', () => {
  it('adds a site with an alias, a time zone and a retention', async () => {
    const run = await candor(['site', 'add', 'shop.test', '--alias', 'localhost', '--timezone', 'Europe/Berlin', '--retention-days', '30'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('added shop.test\ttimezone Europe/Berlin\tretention 30 days\taliases localhost\n')
    // It let go of DATA_DIR when done.
    expect(existsSync(lockFile)).toBe(false)
  })

  it('lists the sites', async () => {
    const run = await candor(['site', 'list'])
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('shop.test\ttimezone Europe/Berlin\tretention 30 days\taliases localhost\n')
  })

  it('refuses a duplicate with a clear message and a non-zero code', async () => {
    const run = await candor(['site', 'add', 'SHOP.test'])
    expect(run.code).not.toBe(0)
    expect(run.stderr).toBe('candor: a site with the domain shop.test already exists\n')
  })

  it('refuses a malformed domain, alias or time zone with a clear message', async () => {
    const cases: Array<[string[], string]> = [
      [['site', 'add', 'https://blog.test'], 'candor: "https://blog.test" is not a domain name such as example.com (no scheme, path or port)\n'],
      [['site', 'add', 'blog.test:8080'], 'candor: "blog.test:8080" is not a domain name such as example.com (no scheme, path or port)\n'],
      [['site', 'add', 'blog.test', '--alias', 'a b'], 'candor: "a b" is not a hostname\n'],
      [['site', 'add', 'blog.test', '--timezone', 'Mars/Olympus'], 'candor: "Mars/Olympus" is not an IANA time zone such as Europe/Berlin\n'],
    ]
    for (const [args, message] of cases) {
      const run = await candor(args)
      expect(run.code, args.join(' ')).toBe(1)
      expect(run.stderr).toBe(message)
    }
  }, 120_000)

  it('refuses a retention outside 1 to 36500 days with a clear message', async () => {
    const run = await candor(['site', 'add', 'blog.test', '--retention-days', '0'])
    expect(run.code).toBe(1)
    expectNoStack(run.stderr)
    expect(run.stderr).toMatch(/^candor: .*retention/i)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('changes a site', async () => {
    const run = await candor(['site', 'set', 'shop.test', '--retention-days', '60'])
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('updated shop.test\ttimezone Europe/Berlin\tretention 60 days\taliases localhost\n')
  })

  it('creates a Stats API key and prints it as the last line', async () => {
    const run = await candor(['key', 'create', '--site', 'shop.test'])
    expect(run.code).toBe(0)
    key = lastLine(run.stdout)
    expect(key).toMatch(/^cnd_[A-Za-z0-9_-]{40}$/)
    expect(run.stdout).toContain('Stats API key for shop.test')
  })

  it('refuses to open the databases while another live process holds DATA_DIR', async () => {
    // A holder that has not published a URL (a CLI, or a server still starting): this process.
    writeFileSync(lockFile, JSON.stringify({ pid: process.pid, token: 'not-a-server' }))
    try {
      const run = await candor(['site', 'list'])
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(`${dataDir} is in use by process ${process.pid}`)
      expect(run.stdout).toBe('')
    } finally {
      rmSync(lockFile, { force: true })
    }
  })
})

describe('with a server running on DATA_DIR', () => {
  let server: ServerProcess
  let port: number
  let lock: { pid: number; url?: string; token?: string }

  beforeAll(async () => {
    server = await startServerProcess(dataDir, { DATABASE_URL: '', CLICKHOUSE_URL: '', NODE_ENV: '', SECRET_KEY: '' })
    children.add(server.child)
    port = Number(new URL(server.url).port)
    lock = JSON.parse(readFileSync(lockFile, 'utf8')) as typeof lock
  })

  afterAll(async () => {
    if (!server) return
    server.child.kill('SIGTERM')
    const stopped = await Promise.race([server.exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 60_000))])
    if (stopped === 'timeout') server.child.kill('SIGKILL')
    children.delete(server.child)
  })

  const operator = () => ({ authorization: `Bearer ${lock.token}` })
  const serverSites = async () => {
    const response = await fetch(`${server.url}/api/admin/sites`, { headers: operator() })
    expect(response.status).toBe(200)
    return ((await response.json()) as { sites: Array<{ domain: string; timezone: string; retentionDays: number }> }).sites
  }
  const stats = (apiKey: string, site: string) =>
    fetch(`${server.url}/api/v2/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ site_id: site, metrics: ['visitors', 'pageviews'], date_range: '7d' }),
    })

  it("publishes its URL and operator token in the lock file", () => {
    expect(lock).toEqual({ pid: server.child.pid, url: `http://127.0.0.1:${port}`, token: expect.any(String) })
    expect(lock.token!.length).toBeGreaterThanOrEqual(32)
  })

  it('serves the sites and the key the CLI made without it', async () => {
    expect((await serverSites()).map((site) => site.domain)).toEqual(['shop.test'])
    const response = await stats(key, 'shop.test')
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ results: [{ metrics: [0, 0], dimensions: [] }] })
    expect((await stats(key, 'blog.test')).status).toBe(403)
  })

  it('the CLI adds a site through the server, which sees it at once', async () => {
    const run = await candor(['site', 'add', 'blog.test', '--alias', 'blog.localhost', '--timezone', 'Asia/Tokyo'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('added blog.test\ttimezone Asia/Tokyo\tretention 730 days\taliases blog.localhost\n')
    expect((await serverSites()).map((site) => site.domain)).toEqual(['blog.test', 'shop.test'])
    // The lock is still the server's: the CLI never took it.
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toEqual(lock)
  })

  it("the CLI's errors come from the server's operator routes", async () => {
    // Only the HTTP validation names a body field; the local path has no such message.
    const retention = await candor(['site', 'set', 'blog.test', '--retention-days', '0'])
    expect(retention.code).toBe(1)
    expect(retention.stderr).toMatch(/^candor: body field "retentionDays" must be >= 1/)
    const duplicate = await candor(['site', 'add', 'blog.test'])
    expect(duplicate.code).toBe(1)
    expect(duplicate.stderr).toBe('candor: a site with the domain blog.test already exists\n')
    const missing = await candor(['key', 'create', '--site', 'nowhere.test'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe('candor: no site with the domain nowhere.test\n')
  }, 120_000)

  it('the CLI changes, lists and creates keys through the server', async () => {
    const set = await candor(['site', 'set', 'blog.test', '--retention-days', '45'])
    expect(set.code).toBe(0)
    expect((await serverSites()).find((site) => site.domain === 'blog.test')).toMatchObject({ retentionDays: 45, timezone: 'Asia/Tokyo' })

    const list = await candor(['site', 'list'])
    expect(list.code).toBe(0)
    expect(list.stdout).toBe(
      'blog.test\ttimezone Asia/Tokyo\tretention 45 days\taliases blog.localhost\n' +
        'shop.test\ttimezone Europe/Berlin\tretention 60 days\taliases localhost\n',
    )

    const created = await candor(['key', 'create', '--site', 'blog.test'])
    expect(created.code).toBe(0)
    const blogKey = lastLine(created.stdout)
    expect(blogKey).toMatch(/^cnd_/)
    expect((await stats(blogKey, 'blog.test')).status).toBe(200)
    expect((await stats(blogKey, 'shop.test')).status).toBe(403)
  }, 120_000)

  it('a second server on the same DATA_DIR refuses to start, saying it is in use', async () => {
    const second = spawnTracked([join('server', 'main.ts')], dataDir, { PORT: String(await freePort()), HOST: '127.0.0.1' })
    const run = await second.done
    expect(run.code).not.toBe(0)
    expect(run.code).not.toBeNull()
    expect(`${run.stdout}${run.stderr}`).toContain(`${dataDir} is in use by process ${server.child.pid} (serving ${server.url})`)
    // The first server is unharmed and still holds the lock.
    expect((await fetch(`${server.url}/api/health`)).ok).toBe(true)
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toEqual(lock)
  })
})
