// The PostgreSQL server at DATABASE_URL, for tests of the server path. Each test file gets its own
// database (random name), dropped afterwards; CI and other sessions share the server.
import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const serverUrl = process.env.DATABASE_URL?.trim() || null

/** Prints why the server variants are skipped, once per file. */
export function explainSkip(): void {
  if (!serverUrl) console.log('DATABASE_URL is not set: skipping the PostgreSQL-server variants (PGlite variants still run)')
}

export interface TemporaryDatabase {
  readonly url: string
  drop(): Promise<void>
}

export async function createTemporaryDatabase(): Promise<TemporaryDatabase> {
  if (!serverUrl) throw new Error('DATABASE_URL is not set')
  const name = `candor_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl })
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    },
  }
}
