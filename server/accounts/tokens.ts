// Single-use, expiring tokens for links in mail. The token goes out once; only its hash is kept,
// and consuming it marks it used in the same statement, so it works once even under a race.
import { createHash, randomBytes } from 'node:crypto'
import type { Queryable } from '../db/index.ts'
import { badRequest } from '../errors.ts'

export type TokenPurpose = 'verify_email' | 'reset_password' | 'change_email'

export const LIFETIME_MS: Record<TokenPurpose, number> = {
  verify_email: 48 * 3_600_000,
  reset_password: 3_600_000,
  change_email: 48 * 3_600_000,
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')
export const newToken = () => randomBytes(32).toString('base64url')

export async function issueToken(db: Queryable, userId: number, purpose: TokenPurpose, email: string | null = null): Promise<string> {
  const token = newToken()
  await db.query(
    `INSERT INTO account_tokens (token_hash, user_id, purpose, email, expires_at)
     VALUES ($1, $2, $3, $4, now() + ($5 || ' milliseconds')::interval)`,
    [hashToken(token), userId, purpose, email, String(LIFETIME_MS[purpose])],
  )
  return token
}

/** Marks the token used and returns its user (and address), or refuses with a 400 naming the field. */
export async function consumeToken(db: Queryable, token: string, purpose: TokenPurpose): Promise<{ userId: number; email: string | null }> {
  const rows = await db.query<{ user_id: number; email: string | null }>(
    `UPDATE account_tokens SET used_at = now()
     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
     RETURNING user_id, email`,
    [hashToken(token), purpose],
  )
  if (!rows[0]) throw badRequest('the link is unknown, used already, or expired; ask for a new one', 'token')
  return { userId: rows[0].user_id, email: rows[0].email }
}
