// `npm run candor -- seed` as a child process: on the databases it opens itself, through a running
// server's operator route, and its usage errors. The site is added in-process to save a spawn.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { projectRoot } from '../../server/paths.ts'
import { startTestApp } from '../helpers/app.ts'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'candor-cli-seed-'))
let key = ''
let server: ServerProcess | null = null

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function candor(args: string[]): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('server', 'cli', 'main.ts'), ...args], {
    cwd: projectRoot,
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', CLICKHOUSE_URL: '', NODE_ENV: '', SECRET_KEY: '', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

beforeAll(async () => {
  const t = await startTestApp({ dataDir })
  key = await t.addSite('demo.test', { timezone: 'America/New_York' })
  await t.close()
}, 120_000)

afterAll(async () => {
  if (server) {
    server.child.kill('SIGTERM')
    await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 30_000))])
    if (server.child.exitCode === null) server.child.kill('SIGKILL')
  }
  rmSync(dataDir, { recursive: true, force: true })
})

const SUMMARY = /^seeded (\d+) events in (\d+) visits in [\d.]+ s$/

it('exits 2 with usage for bad numbers, before opening anything', async () => {
  const run = await candor(['seed', '--site', 'demo.test', '--events', '10', '--days', '3651'])
  expect(run.code).toBe(2)
  expect(run.stderr).toMatch(/^candor: --days must be a whole number from 1 to 3650\n/)
  expect(run.stderr).toContain('Usage:')
  expect(run.stdout).toBe('')
}, 60_000)

it('seeds without a server, then through one, and the Stats API reads both', async () => {
  const alone = await candor(['seed', '--site', 'demo.test', '--events', '2000', '--days', '3'])
  expect(alone.stderr).toMatch(/^seeding: \d+\/2000 events \(\d+%\), \d+ visits, \d+ events\/s, ETA \S+$/m)
  expect(alone.code).toBe(0)
  const [, aloneEvents, aloneVisits] = alone.stdout.trimEnd().split('\n').at(-1)!.match(SUMMARY)!
  expect(aloneEvents).toBe('2000')

  server = await startServerProcess(dataDir)
  const through = await candor(['seed', '--site', 'demo.test', '--events', '1500', '--days', '3', '--seed', '9'])
  expect(through.code).toBe(0)
  expect(through.stderr).toMatch(/seeding: 1500\/1500 events \(100%\)/)
  const [, throughEvents, throughVisits] = through.stdout.trimEnd().split('\n').at(-1)!.match(SUMMARY)!
  expect(throughEvents).toBe('1500')

  const response = await fetch(`${server.url}/api/v2/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: 'demo.test', date_range: '7d', metrics: ['events', 'visits'] }),
  })
  expect(response.status).toBe(200)
  const { results } = (await response.json()) as { results: Array<{ metrics: number[] }> }
  expect(results[0]!.metrics).toEqual([3500, Number(aloneVisits) + Number(throughVisits)])

  const unknown = await candor(['seed', '--site', 'nowhere.test', '--events', '10', '--days', '1'])
  expect(unknown.code).toBe(1)
  expect(unknown.stderr).toBe('candor: no site with the domain nowhere.test\n')
}, 240_000)
