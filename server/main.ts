// `npm start`: validate the configuration, build missing browser bundles, open the databases,
// listen, and shut down cleanly (draining the spool) on SIGTERM or SIGINT.
import { ensureBuilt } from '../scripts/build.ts'
import { buildApp } from './app.ts'
import { ConfigError, loadConfig } from './config.ts'
import { DataDirLockedError } from './db/index.ts'

async function main(): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`candor: configuration error: ${error.message}`)
      process.exit(78)
    }
    throw error
  }

  const built = await ensureBuilt()
  if (built.length > 0) console.error(`candor: built ${built.join(', ')}`)

  let app
  try {
    app = await buildApp(config)
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      console.error(`candor: ${error.message}`)
      process.exit(75)
    }
    throw error
  }

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) {
      app.log.warn(`${signal} again: exiting without waiting`)
      process.exit(1)
    }
    stopping = true
    app.log.info(`${signal}: closing; the spool is written to ClickHouse first`)
    try {
      await app.close()
      process.exit(0)
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed')
      process.exit(1)
    }
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))

  await app.listen({ port: config.port, host: config.host })
  const address = app.server.address()
  if (address && typeof address === 'object') {
    const host = address.family === 'IPv6' ? `[${address.address === '::' ? '::1' : address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address
    // Tells the CLI where to reach this server instead of opening the databases beside it.
    app.dataDirLock?.publish(`${config.tls ? 'https' : 'http'}://${host}:${address.port}`)
  }
}

await main()
