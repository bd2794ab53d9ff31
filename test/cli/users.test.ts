// The operator CLI's account and policy commands as a child process (`node --import tsx
// server/cli/main.ts`): `user create` with the password piped on standard input, `user list`,
// clear refusals, and `policy publish`, first on the databases themselves (no server), then
// through a running server holding DATA_DIR.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectRoot } from '../../server/paths.ts'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'candor-cli-users-'))
const files = mkdtempSync(join(tmpdir(), 'candor-cli-texts-'))
const ADMIN_PASSWORD = 'operator-chosen-passphrase-1'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

const children = new Set<ChildProcess>()

/** Runs the CLI on `dataDir`'s embedded databases, whatever the test run's environment points at. */
function candor(args: string[], stdin: string | null = null): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('server', 'cli', 'main.ts'), ...args], {
    cwd: projectRoot,
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', CLICKHOUSE_URL: '', NODE_ENV: '', SECRET_KEY: '', SMTP_URL: '', LOG_LEVEL: 'warn' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  child.stdin!.end(stdin ?? '')
  return new Promise((resolve) =>
    child.on('close', (code) => {
      children.delete(child)
      resolve({ code, stdout, stderr })
    }),
  )
}

const expectNoStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m)
const text = (name: string, content: string) => {
  const path = join(files, name)
  writeFileSync(path, content)
  return path
}

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(files, { recursive: true, force: true })
})

describe('without a server', () => {
  it('creates an administrator with the password from standard input', async () => {
    const run = await candor(['user', 'create', '--admin', '--email', 'Root@Example.TEST', '--login', 'root_admin', '--first-name', 'Rosa', '--last-name', 'Root'], `${ADMIN_PASSWORD}\n`)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('created root_admin\troot@example.test\tadmin\tRosa Root\n')
  }, 120_000)

  it('creates a customer, naming them after the login when no names are given', async () => {
    const run = await candor(['user', 'create', '--email', 'shopper@example.test', '--login', 'shopper'], 'another-fine-passphrase\n')
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('created shopper\tshopper@example.test\tcustomer\tshopper -\n')
  }, 120_000)

  it('lists the accounts', async () => {
    const run = await candor(['user', 'list'])
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('root_admin\troot@example.test\tadmin\tRosa Root\nshopper\tshopper@example.test\tcustomer\tshopper -\n')
  }, 120_000)

  it('refuses a duplicate email or login, whatever its case, with a clear message', async () => {
    const email = await candor(['user', 'create', '--email', 'ROOT@example.test', '--login', 'someone_else'], 'a-third-fine-passphrase\n')
    expect(email.code).toBe(1)
    expect(email.stderr).toBe('candor: an account with this email exists already\n')
    const login = await candor(['user', 'create', '--email', 'new@example.test', '--login', 'ROOT_ADMIN'], 'a-third-fine-passphrase\n')
    expect(login.code).toBe(1)
    expect(login.stderr).toBe('candor: an account with this login exists already\n')
  }, 120_000)

  it('refuses a weak or missing password and malformed fields, saying what to fix', async () => {
    const cases: Array<[string[], string, RegExp]> = [
      [['--email', 'weak@example.test', '--login', 'weak_one'], 'short\n', /^candor: password must be 10 to 256 characters\n$/],
      [['--email', 'empty@example.test', '--login', 'empty_one'], '', /^candor: password must be 10 to 256 characters\n$/],
      [['--email', 'same@example.test', '--login', 'same_as_pw'], 'SAME_AS_PW\n', /^candor: password must not be your email address or login\n$/],
      [['--email', 'not-an-address', '--login', 'bad_email'], 'a-fine-passphrase-4\n', /^candor: email must be an address/],
      [['--email', 'bad@example.test', '--login', 'x'], 'a-fine-passphrase-4\n', /^candor: login must be 3 to 32/],
    ]
    for (const [args, stdin, message] of cases) {
      const run = await candor(['user', 'create', ...args], stdin)
      expect(run.code, args.join(' ')).toBe(1)
      expect(run.stderr).toMatch(message)
      expectNoStack(run.stderr)
      if (stdin.trim()) expect(run.stderr + run.stdout).not.toContain(stdin.trim())
    }
    expect((await candor(['user', 'list'])).stdout.trim().split('\n')).toHaveLength(2)
  }, 180_000)

  it('prints usage and exits 2 without --email or --login, before asking for a password', async () => {
    for (const args of [['--login', 'nobody'], ['--email', 'nobody@example.test'], ['--admin', 'extra', '--email', 'a@example.test', '--login', 'abc']]) {
      const run = await candor(['user', 'create', ...args], 'a-fine-passphrase-5\n')
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr).toContain('user create needs --email and --login')
      expect(run.stderr).toContain('Usage:')
    }
  }, 120_000)

  it('publishes a new version of the privacy policy on top of the shipped one', async () => {
    const run = await candor(['policy', 'publish', '--kind', 'privacy', '--lang', 'en', '--file', text('privacy-2.md', '# Privacy policy\n\nSecond version, published offline.\n')])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('published version 2 of the privacy policy (en) at /policy; registered people will be asked to accept it at their next login\n')
    // A text in the other language is a translation of version 2, not a version of its own.
    const translation = await candor(['policy', 'publish', '--kind', 'privacy', '--lang', 'ru', '--file', text('privacy-2.ru.md', '# Политика\n\nВторая редакция.\n')])
    expect(translation.code).toBe(0)
    expect(translation.stdout).toBe('added the ru text to version 2 of the privacy policy at /policy (a translation: nobody is asked to accept again)\n')
  }, 120_000)

  it('refuses a missing file or a wrong kind with a clear message', async () => {
    const missing = await candor(['policy', 'publish', '--kind', 'terms', '--lang', 'en', '--file', join(files, 'nope.md')])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe(`candor: there is no file ${join(files, 'nope.md')}\n`)
    const kind = await candor(['policy', 'publish', '--kind', 'cookies', '--lang', 'en', '--file', text('cookies.md', '# Cookies\n')])
    expect(kind.code).toBe(1)
    expect(kind.stderr).toMatch(/^candor: .*cookies/)
    expectNoStack(kind.stderr)
    const usage = await candor(['policy', 'publish', '--kind', 'terms'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('policy publish needs --lang, --file')
  }, 120_000)
})

describe('with a server running on DATA_DIR', () => {
  let server: ServerProcess

  beforeAll(async () => {
    server = await startServerProcess(dataDir, { DATABASE_URL: '', CLICKHOUSE_URL: '', NODE_ENV: '', SECRET_KEY: '' })
    children.add(server.child)
  })

  afterAll(async () => {
    if (!server) return
    server.child.kill('SIGTERM')
    const stopped = await Promise.race([server.exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 60_000))])
    if (stopped === 'timeout') server.child.kill('SIGKILL')
    children.delete(server.child)
  })

  const signIn = (identifier: string, password: string) =>
    fetch(`${server.url}/api/accounts/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identifier, password }),
    })

  it('the administrator made offline signs in, and is asked to accept the current documents', async () => {
    const response = await signIn('root@example.test', ADMIN_PASSWORD)
    expect(response.status).toBe(200)
    const body = (await response.json()) as { user: { role: string; emailVerified: boolean }; pendingAcceptance: unknown[] }
    expect(body.user).toMatchObject({ role: 'admin', emailVerified: true })
    expect(body.pendingAcceptance).toEqual([
      { kind: 'privacy', version: 2 },
      { kind: 'terms', version: 1 },
    ])
    expect(JSON.stringify(body)).not.toContain(ADMIN_PASSWORD)
  })

  it('creates and lists accounts through the server', async () => {
    const created = await candor(['user', 'create', '--email', 'remote@example.test', '--login', 'remote_user'], 'a-remote-passphrase-6\n')
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
    expect(created.stdout).toBe('created remote_user\tremote@example.test\tcustomer\tremote_user -\n')
    expect((await signIn('remote_user', 'a-remote-passphrase-6')).status).toBe(200)
    const list = await candor(['user', 'list'])
    expect(list.code).toBe(0)
    expect(list.stdout.trim().split('\n').map((line) => line.split('\t')[0])).toEqual(['root_admin', 'shopper', 'remote_user'])
  }, 120_000)

  it('refuses a duplicate through the server with the same clear message', async () => {
    const run = await candor(['user', 'create', '--email', 'other@example.test', '--login', 'Remote_User'], 'a-remote-passphrase-7\n')
    expect(run.code).toBe(1)
    expect(run.stderr).toBe('candor: an account with this login exists already\n')
  }, 120_000)

  it('publishes through the server, which asks for the new version at once', async () => {
    const run = await candor(['policy', 'publish', '--kind', 'terms', '--lang', 'en', '--file', text('terms-2.md', '# Terms\n\nSecond version, published through the server.\n')])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('published version 2 of the terms (en) at /terms; registered people will be asked to accept it at their next login\n')
    const current = (await (await fetch(`${server.url}/api/documents/terms`)).json()) as { current: { version: number } }
    expect(current.current.version).toBe(2)
    const body = (await (await signIn('remote_user', 'a-remote-passphrase-6')).json()) as { pendingAcceptance: unknown[] }
    expect(body.pendingAcceptance).toEqual([
      { kind: 'privacy', version: 2 },
      { kind: 'terms', version: 2 },
    ])
    // The same text again changes nothing.
    const again = await candor(['policy', 'publish', '--kind', 'terms', '--lang', 'en', '--file', join(files, 'terms-2.md')])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^candor: nothing changed/)
  }, 120_000)
})
