// What is shipped beside the code stays true: the compose file validates, and the README documents
// every configuration variable the config module reads and the commands it promises.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../server/paths.ts'

const hasCompose = (() => {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

describe.skipIf(!hasCompose)('docker-compose.yml', () => {
  it('is accepted by `docker-compose config`, with the app waiting for healthy databases', () => {
    const rendered = execFileSync('docker-compose', ['config'], {
      cwd: projectRoot,
      env: { ...process.env, SECRET_KEY: 'x'.repeat(48) },
      encoding: 'utf8',
    })
    expect(rendered).toContain('clickhouse/clickhouse-server')
    expect(rendered).toMatch(/postgres:\d+/)
    expect(rendered).toMatch(/clickhouse:\s+condition: service_healthy/)
    expect(rendered).toMatch(/postgres:\s+condition: service_healthy/)
    expect(rendered.match(/healthcheck:/g)).toHaveLength(3)
  })
})
if (!hasCompose) console.log('docker-compose is not installed: skipping the compose check (.ci/run installs it)')

it('README documents every configuration variable and the commands', () => {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8')
  const config = readFileSync(join(projectRoot, 'server', 'config.ts'), 'utf8')
  const variables = new Set([...config.matchAll(/env, '([A-Z_]+)'|env\.([A-Z_]+)/g)].map((m) => m[1] ?? m[2]!))
  expect(variables.size).toBeGreaterThan(15)
  for (const variable of variables) expect(readme, variable).toContain(`\`${variable}\``)
  for (const command of ['npm install', 'npm start', 'npm test', 'npm run bench', 'npm run candor -- site add', 'key create']) {
    expect(readme, command).toContain(command)
  }
  expect(readFileSync(join(projectRoot, '.ci', 'run'), 'utf8')).toContain('npm test')
})

it('package-lock.json lists every optional platform package, so `npm ci` works on a clean clone', async () => {
  const { missingPlatformPackages } = await import('../scripts/lock-platforms.ts')
  const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8'))
  expect(missingPlatformPackages(lock), 'run `npm run lock:platforms`').toEqual([])
})
