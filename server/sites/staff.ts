// A site's staff: viewers and managers, and invitations mailed to new staff. Invitation tokens are
// single-use and kept as hashes; an invitation is accepted by the account with its address.
import { createHash, randomBytes } from 'node:crypto'
import type { Postgres } from '../db/index.ts'
import type { Mailer } from '../email/index.ts'
import { badRequest, conflict, forbidden, notFound } from '../errors.ts'
import { invitationMail } from './mails.ts'
import type { Site } from './service.ts'

export type SiteRole = 'viewer' | 'manager'

export interface Member {
  readonly userId: number
  readonly role: SiteRole
  readonly since: string
}

export interface Invitation {
  readonly email: string
  readonly role: SiteRole
  readonly expiresAt: string
  readonly acceptedAt: string | null
  readonly createdAt: string
}

export interface Invitee {
  readonly id: number
  readonly email: string
  readonly emailVerified: boolean
}

const INVITATION_MS = 7 * 86_400_000
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')

export class Staff {
  readonly #pg: Postgres
  readonly #mailer: Mailer
  readonly #publicUrl: string

  constructor(pg: Postgres, mailer: Mailer, publicUrl: string) {
    this.#pg = pg
    this.#mailer = mailer
    this.#publicUrl = publicUrl
  }

  async roleOf(userId: number, siteId: number): Promise<SiteRole | null> {
    const [row] = await this.#pg.query<{ role: SiteRole }>('SELECT role FROM site_members WHERE site_id = $1 AND user_id = $2', [siteId, userId])
    return row?.role ?? null
  }

  /** The sites a person is staff of, with their role. */
  async sitesOf(userId: number): Promise<Array<{ siteId: number; role: SiteRole }>> {
    const rows = await this.#pg.query<{ site_id: number; role: SiteRole }>('SELECT site_id, role FROM site_members WHERE user_id = $1 ORDER BY site_id', [userId])
    return rows.map((row) => ({ siteId: row.site_id, role: row.role }))
  }

  async isManagerAnywhere(userId: number): Promise<boolean> {
    return (await this.#pg.query("SELECT 1 FROM site_members WHERE user_id = $1 AND role = 'manager' LIMIT 1", [userId])).length > 0
  }

  async add(siteId: number, userId: number, role: SiteRole): Promise<void> {
    await this.#pg.query(
      'INSERT INTO site_members (site_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (site_id, user_id) DO UPDATE SET role = excluded.role',
      [siteId, userId, role],
    )
  }

  async members(siteId: number): Promise<Member[]> {
    const rows = await this.#pg.query<{ user_id: number; role: SiteRole; created_at: Date }>(
      'SELECT user_id, role, created_at FROM site_members WHERE site_id = $1 ORDER BY created_at, user_id',
      [siteId],
    )
    return rows.map((row) => ({ userId: row.user_id, role: row.role, since: row.created_at.toISOString() }))
  }

  /** Changes or removes a member; a site always keeps at least one manager. */
  async change(siteId: number, userId: number, role: SiteRole | null): Promise<void> {
    await this.#pg.transaction(async (tx) => {
      const managers = await tx.query<{ user_id: number }>(
        "SELECT user_id FROM site_members WHERE site_id = $1 AND role = 'manager' FOR UPDATE",
        [siteId],
      )
      const current = await tx.query<{ role: SiteRole }>('SELECT role FROM site_members WHERE site_id = $1 AND user_id = $2', [siteId, userId])
      if (!current[0]) throw notFound('no such member of this site')
      if (current[0].role === 'manager' && role !== 'manager' && managers.length === 1) {
        throw conflict('a site keeps at least one manager; make someone else manager first', 'role')
      }
      if (role === null) await tx.query('DELETE FROM site_members WHERE site_id = $1 AND user_id = $2', [siteId, userId])
      else await tx.query('UPDATE site_members SET role = $3 WHERE site_id = $1 AND user_id = $2', [siteId, userId, role])
    })
  }

  async invite(site: Site, email: string, role: SiteRole, inviterId: number | null, language: 'en' | 'ru'): Promise<Invitation> {
    const token = randomBytes(32).toString('base64url')
    const [row] = await this.#pg.query<{ created_at: Date; expires_at: Date }>(
      `INSERT INTO site_invitations (token_hash, site_id, email, role, invited_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + ($6 || ' milliseconds')::interval) RETURNING created_at, expires_at`,
      [hashToken(token), site.id, email, role, inviterId, String(INVITATION_MS)],
    )
    const url = `${this.#publicUrl}/account/invitation?token=${encodeURIComponent(token)}`
    await this.#mailer.send(invitationMail(email, site.domain, role, language, url))
    return { email, role, expiresAt: row!.expires_at.toISOString(), acceptedAt: null, createdAt: row!.created_at.toISOString() }
  }

  async invitations(siteId: number): Promise<Invitation[]> {
    const rows = await this.#pg.query<{ email: string; role: SiteRole; expires_at: Date; accepted_at: Date | null; created_at: Date }>(
      'SELECT email, role, expires_at, accepted_at, created_at FROM site_invitations WHERE site_id = $1 ORDER BY created_at',
      [siteId],
    )
    return rows.map((row) => ({
      email: row.email,
      role: row.role,
      expiresAt: row.expires_at.toISOString(),
      acceptedAt: row.accepted_at?.toISOString() ?? null,
      createdAt: row.created_at.toISOString(),
    }))
  }

  /** Makes the invited account staff of the site; it must be the account with the invited address, verified. */
  async accept(token: string, invitee: Invitee): Promise<{ siteId: number; role: SiteRole }> {
    return this.#pg.transaction(async (tx) => {
      const [row] = await tx.query<{ site_id: number; email: string; role: SiteRole }>(
        `SELECT site_id, email, role FROM site_invitations
         WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now() FOR UPDATE`,
        [hashToken(token)],
      )
      if (!row) throw badRequest('the invitation is unknown, used already, or expired; ask for a new one', 'token')
      if (row.email !== invitee.email) throw forbidden('the invitation was sent to another email address')
      if (!invitee.emailVerified) throw forbidden('confirm your email address first')
      await tx.query('UPDATE site_invitations SET accepted_at = now() WHERE token_hash = $1', [hashToken(token)])
      await tx.query(
        `INSERT INTO site_members (site_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (site_id, user_id) DO UPDATE SET role = CASE WHEN site_members.role = 'manager' THEN 'manager' ELSE excluded.role END`,
        [row.site_id, invitee.id, row.role],
      )
      return { siteId: row.site_id, role: row.role }
    })
  }
}
