// The real server as a child process (`node --import tsx server/main.ts`), for tests that kill it
// or talk to it over a real port.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { projectRoot } from '../../server/paths.ts'

export interface ServerProcess {
  readonly child: ChildProcess
  readonly url: string
  readonly token: string
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * The server's configuration comes from `env` only: variables of the test run itself (such as
 * DATABASE_URL, which points at the shared database) must not leak into it.
 */
const ISOLATED = {
  DATABASE_URL: '',
  CLICKHOUSE_URL: '',
  CLICKHOUSE_CLUSTER: '',
  SECRET_KEY: '',
  NODE_ENV: '',
  TRUST_PROXY: '',
  GEOIP_CITY_PATH: '',
  GEOIP_ASN_PATH: '',
}

export async function startServerProcess(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  let output = ''
  // Port 0: the server takes a free port itself and publishes it in the lock file, so two
  // test files never race for the same port.
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'server', 'main.ts')], {
    cwd: projectRoot,
    env: { ...process.env, ...ISOLATED, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')))

  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited early:\n${output}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server did not start:\n${output}`)
    }
    try {
      const lock = JSON.parse(readFileSync(join(dataDir, 'candor.lock'), 'utf8')) as { pid: number; url?: string; token: string }
      if (lock.pid === child.pid && lock.url) {
        const health = await fetch(`${lock.url}/api/health`)
        if (health.ok) return { child, url: lock.url, token: lock.token, output: () => output, exited }
      }
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
