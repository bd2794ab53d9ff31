// Login sessions, stored server-side. The cookie carries a random id; Postgres keeps its hash,
// the session's CSRF token, and when it was made and last used. A session ends after 7 days
// without use or 30 days after login, whichever comes first.
import { randomBytes } from 'node:crypto'
import type { Queryable } from '../db/index.ts'
import { hashToken } from './tokens.ts'

export const IDLE_MS = 7 * 86_400_000
export const ABSOLUTE_MS = 30 * 86_400_000
/** last_seen_at is written at most this often, not on every request. */
const TOUCH_EVERY_MS = 60_000

export interface SessionRecord {
  readonly userId: number
  readonly csrfToken: string
  readonly createdAt: string
  readonly lastSeenAt: string
  readonly expiresAt: string
  readonly device: string
}

interface SessionRow {
  user_id: number
  csrf_token: string
  device: string
  created_at: Date
  last_seen_at: Date
  expires_at: Date
}

const toRecord = (row: SessionRow): SessionRecord => ({
  userId: row.user_id,
  csrfToken: row.csrf_token,
  device: row.device,
  createdAt: row.created_at.toISOString(),
  lastSeenAt: row.last_seen_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
})

export async function openSession(db: Queryable, userId: number, device: string): Promise<{ id: string; session: SessionRecord }> {
  const id = randomBytes(32).toString('base64url')
  const rows = await db.query<SessionRow>(
    `INSERT INTO user_sessions (id_hash, user_id, csrf_token, device, expires_at)
     VALUES ($1, $2, $3, $4, now() + ($5 || ' milliseconds')::interval)
     RETURNING user_id, csrf_token, device, created_at, last_seen_at, expires_at`,
    [hashToken(id), userId, randomBytes(24).toString('base64url'), device.slice(0, 100), String(ABSOLUTE_MS)],
  )
  return { id, session: toRecord(rows[0]!) }
}

/** The live session behind a cookie, or null (unknown, idle too long, or past its end). */
export async function findSession(db: Queryable, id: string): Promise<SessionRecord | null> {
  const rows = await db.query<SessionRow>(
    `SELECT user_id, csrf_token, device, created_at, last_seen_at, expires_at FROM user_sessions
     WHERE id_hash = $1 AND expires_at > now() AND last_seen_at > now() - ($2 || ' milliseconds')::interval`,
    [hashToken(id), String(IDLE_MS)],
  )
  const row = rows[0]
  if (!row) return null
  if (Date.now() - row.last_seen_at.getTime() > TOUCH_EVERY_MS) {
    await db.query('UPDATE user_sessions SET last_seen_at = now() WHERE id_hash = $1', [hashToken(id)])
  }
  return toRecord(row)
}

export async function closeSession(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM user_sessions WHERE id_hash = $1', [hashToken(id)])
}

export async function closeAllSessions(db: Queryable, userId: number): Promise<number> {
  const rows = await db.query('DELETE FROM user_sessions WHERE user_id = $1 RETURNING 1', [userId])
  return rows.length
}

export async function listSessions(db: Queryable, userId: number): Promise<SessionRecord[]> {
  const rows = await db.query<SessionRow>(
    `SELECT user_id, csrf_token, device, created_at, last_seen_at, expires_at FROM user_sessions
     WHERE user_id = $1 AND expires_at > now() ORDER BY last_seen_at DESC`,
    [userId],
  )
  return rows.map(toRecord)
}
