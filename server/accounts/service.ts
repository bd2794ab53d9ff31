// Accounts: registration (with acceptance of the current policy and terms), email verification,
// password reset, login and sessions, the profile, and the personal-data registry through which
// every context contributes to "download my data" and "delete my account".
import type { Postgres, Queryable } from '../db/index.ts'
import type { Mailer } from '../email/index.ts'
import { badRequest, conflict, HttpError, unauthorized } from '../errors.ts'
import { checkPassword, parseEmail, parseLogin, parseName } from './fields.ts'
import { emailChangeMail, resetMail, verificationMail, type Language } from './mails.ts'
import { hashPassword, verifyPassword } from './passwords.ts'
import { closeAllSessions, closeSession, findSession, listSessions, openSession, type SessionRecord } from './sessions.ts'
import { consumeToken, issueToken } from './tokens.ts'

export type Role = 'admin' | 'customer'
export type DocumentKind = 'privacy' | 'terms'

export interface User {
  readonly id: number
  readonly firstName: string
  readonly lastName: string
  readonly email: string
  readonly login: string
  readonly role: Role
  readonly language: Language
  readonly emailVerified: boolean
  readonly createdAt: string
}

/** What accounts needs of the documents context. */
export interface CurrentDocuments {
  currentVersions(): Promise<Record<DocumentKind, number>>
}

/** A context holding personal data about people with an account. */
export interface PersonalDataContributor {
  /** The key of this context's part of the export. */
  readonly name: string
  export(userId: number): Promise<unknown>
  /** Erases or anonymises; what must be kept (e.g. payment records required by law) loses its personal fields. */
  erase(user: User, db: Queryable): Promise<void>
}

export interface NewUser {
  firstName: string
  lastName: string
  email: string
  login: string
  password: string
  language?: Language
  /** The versions of the privacy policy and the terms the person accepted. */
  accepted: Record<DocumentKind, number>
}

interface UserRow {
  id: number
  first_name: string
  last_name: string
  email: string
  login: string
  role: Role
  language: Language
  email_verified_at: Date | null
  created_at: Date
}

const USER_COLUMNS = 'id, first_name, last_name, email, login, role, language, email_verified_at, created_at'
const toUser = (row: UserRow): User => ({
  id: row.id,
  firstName: row.first_name,
  lastName: row.last_name,
  email: row.email,
  login: row.login,
  role: row.role,
  language: row.language,
  emailVerified: row.email_verified_at !== null,
  createdAt: row.created_at.toISOString(),
})

export const acceptanceRequired = () =>
  new HttpError(403, 'acceptance_required', 'accept the current privacy policy and terms first (POST /api/account/accept)')

/** An email address (it has an @, which logins never do) or a login, whatever its case. */
const identifierMatch = (identifier: string) => (identifier.includes('@') ? 'email = lower($1)' : 'lower(login) = lower($1)')

/** Which unique index a duplicate hit, from Postgres' constraint name. */
function duplicateField(error: unknown): 'email' | 'login' | null {
  const { code, constraint } = error as { code?: string; constraint?: string }
  if (code !== '23505') return null
  return constraint === 'users_login' ? 'login' : 'email'
}

export interface AccountsOptions {
  pg: Postgres
  mailer: Mailer
  documents: CurrentDocuments
  publicUrl: string
}

export class AccountsService {
  readonly #pg: Postgres
  readonly #mailer: Mailer
  readonly #documents: CurrentDocuments
  readonly #publicUrl: string
  readonly #contributors: PersonalDataContributor[] = []

  constructor(options: AccountsOptions) {
    this.#pg = options.pg
    this.#mailer = options.mailer
    this.#documents = options.documents
    this.#publicUrl = options.publicUrl
    this.registerContributor({
      name: 'account',
      export: async (userId) => ({
        profile: await this.get(userId),
        acceptances: await this.acceptances(userId),
        sessions: (await listSessions(this.#pg, userId)).map(({ device, createdAt, lastSeenAt, expiresAt }) => ({ device, createdAt, lastSeenAt, expiresAt })),
      }),
      // Sessions, tokens and acceptances go with the user row (ON DELETE CASCADE).
      erase: async (user, db) => {
        await db.query('DELETE FROM users WHERE id = $1', [user.id])
      },
    })
  }

  #link(path: string, token: string): string {
    return `${this.#publicUrl}${path}?token=${encodeURIComponent(token)}`
  }

  async register(input: NewUser): Promise<User> {
    const firstName = parseName(input.firstName, 'firstName')
    const lastName = parseName(input.lastName, 'lastName')
    const email = parseEmail(input.email)
    const login = parseLogin(input.login)
    checkPassword(input.password, [email, login])
    const current = await this.#documents.currentVersions()
    for (const kind of ['privacy', 'terms'] as const) {
      if (input.accepted[kind] !== current[kind]) {
        throw badRequest(`accept the current ${kind === 'privacy' ? 'privacy policy' : 'terms'} (version ${current[kind]})`, `accept.${kind}`)
      }
    }
    const passwordHash = await hashPassword(input.password)
    let user: User
    try {
      user = await this.#pg.transaction(async (tx) => {
        const [row] = await tx.query<UserRow>(
          `INSERT INTO users (first_name, last_name, email, login, password_hash, language)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${USER_COLUMNS}`,
          [firstName, lastName, email, login, passwordHash, input.language ?? 'en'],
        )
        for (const kind of ['privacy', 'terms'] as const) {
          await tx.query('INSERT INTO acceptances (user_id, kind, version) VALUES ($1, $2, $3)', [row!.id, kind, current[kind]])
        }
        return toUser(row!)
      })
    } catch (error) {
      const field = duplicateField(error)
      if (field) throw conflict(`an account with this ${field} exists already`, field)
      throw error
    }
    await this.sendVerification(user)
    return user
  }

  /** Creates an account from the CLI: no mail, no acceptance (the operator), verified. */
  async createByOperator(input: Omit<NewUser, 'accepted'> & { role: Role }): Promise<User> {
    const email = parseEmail(input.email)
    const login = parseLogin(input.login)
    checkPassword(input.password, [email, login])
    try {
      const [row] = await this.#pg.query<UserRow>(
        `INSERT INTO users (first_name, last_name, email, login, password_hash, role, language, email_verified_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now()) RETURNING ${USER_COLUMNS}`,
        [parseName(input.firstName, 'firstName'), parseName(input.lastName, 'lastName'), email, login, await hashPassword(input.password), input.role, input.language ?? 'en'],
      )
      return toUser(row!)
    } catch (error) {
      const field = duplicateField(error)
      if (field) throw conflict(`an account with this ${field} exists already`, field)
      throw error
    }
  }

  async list(): Promise<User[]> {
    return (await this.#pg.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY id`)).map(toUser)
  }

  async get(userId: number): Promise<User> {
    const [row] = await this.#pg.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [userId])
    if (!row) throw unauthorized('the account no longer exists')
    return toUser(row)
  }

  async findByEmail(email: string): Promise<User | null> {
    const [row] = await this.#pg.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE email = $1`, [email.trim().toLowerCase()])
    return row ? toUser(row) : null
  }

  async sendVerification(user: User): Promise<void> {
    const token = await issueToken(this.#pg, user.id, 'verify_email')
    await this.#mailer.send(verificationMail(user.email, user.firstName, user.language, this.#link('/account/verify', token)))
  }

  async verifyEmail(token: string): Promise<User> {
    const { userId } = await consumeToken(this.#pg, token, 'verify_email')
    await this.#pg.query('UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1', [userId])
    return this.get(userId)
  }

  /** Mails a reset link when the address has an account; says nothing either way. */
  async requestPasswordReset(email: string): Promise<void> {
    const user = await this.findByEmail(email)
    if (!user) return
    const token = await issueToken(this.#pg, user.id, 'reset_password')
    await this.#mailer.send(resetMail(user.email, user.firstName, user.language, this.#link('/account/reset-password', token)))
  }

  /** Sets a new password and ends every session of the account. */
  async resetPassword(token: string, password: string): Promise<void> {
    await this.#pg.transaction(async (tx) => {
      const { userId } = await consumeToken(tx, token, 'reset_password')
      const [user] = await tx.query<{ email: string; login: string }>('SELECT email, login FROM users WHERE id = $1', [userId])
      checkPassword(password, [user?.email ?? '', user?.login ?? ''])
      await tx.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [userId, await hashPassword(password)])
      await closeAllSessions(tx, userId)
    })
  }

  /**
   * What failed sign-ins are counted against: the account an email address or a login names (so
   * its email and its login share one count), else the identifier itself, which is limited alike.
   */
  async throttleKey(identifier: string): Promise<string> {
    const key = identifier.trim()
    const [row] = await this.#pg.query<{ id: number }>(`SELECT id FROM users WHERE ${identifierMatch(key)}`, [key])
    return row ? `account:${row.id}` : `unknown:${key.toLowerCase()}`
  }

  /** The account for an email address or a login and its password, or null: the caller says nothing more. */
  async checkCredentials(identifier: string, password: string): Promise<User | null> {
    const key = identifier.trim()
    const [row] = await this.#pg.query<UserRow & { password_hash: string }>(
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE ${identifierMatch(key)}`,
      [key],
    )
    const valid = await verifyPassword(row?.password_hash ?? null, password)
    return valid && row ? toUser(row) : null
  }

  openSession(user: User, device: string) {
    return openSession(this.#pg, user.id, device)
  }

  findSession(id: string): Promise<SessionRecord | null> {
    return findSession(this.#pg, id)
  }

  closeSession(id: string): Promise<void> {
    return closeSession(this.#pg, id)
  }

  closeAllSessions(userId: number): Promise<number> {
    return closeAllSessions(this.#pg, userId)
  }

  sessions(userId: number): Promise<SessionRecord[]> {
    return listSessions(this.#pg, userId)
  }

  async acceptances(userId: number): Promise<Array<{ kind: DocumentKind; version: number; acceptedAt: string }>> {
    const rows = await this.#pg.query<{ kind: DocumentKind; version: number; accepted_at: Date }>(
      'SELECT kind, version, accepted_at FROM acceptances WHERE user_id = $1 ORDER BY accepted_at, kind',
      [userId],
    )
    return rows.map((row) => ({ kind: row.kind, version: row.version, acceptedAt: row.accepted_at.toISOString() }))
  }

  /** Current versions the person has not accepted yet: a new version asks again. */
  async pendingAcceptance(userId: number): Promise<Array<{ kind: DocumentKind; version: number }>> {
    const current = await this.#documents.currentVersions()
    const accepted = await this.acceptances(userId)
    return (['privacy', 'terms'] as const)
      .filter((kind) => !accepted.some((entry) => entry.kind === kind && entry.version === current[kind]))
      .map((kind) => ({ kind, version: current[kind] }))
  }

  async accept(userId: number, versions: Partial<Record<DocumentKind, number>>): Promise<void> {
    const current = await this.#documents.currentVersions()
    for (const [kind, version] of Object.entries(versions) as Array<[DocumentKind, number]>) {
      if (version !== current[kind]) throw badRequest(`the current ${kind} version is ${current[kind]}`, kind)
    }
    for (const [kind, version] of Object.entries(versions) as Array<[DocumentKind, number]>) {
      await this.#pg.query('INSERT INTO acceptances (user_id, kind, version) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [userId, kind, version])
    }
  }

  /** Changes the profile; a new email address takes effect once confirmed from a link sent to it. */
  async updateProfile(
    userId: number,
    changes: { firstName?: string; lastName?: string; login?: string; email?: string; language?: Language },
  ): Promise<{ user: User; emailPending: string | null }> {
    const before = await this.get(userId)
    const sets: string[] = []
    const values: unknown[] = [userId]
    const set = (column: string, value: unknown) => {
      values.push(value)
      sets.push(`${column} = $${values.length}`)
    }
    if (changes.firstName !== undefined) set('first_name', parseName(changes.firstName, 'firstName'))
    if (changes.lastName !== undefined) set('last_name', parseName(changes.lastName, 'lastName'))
    if (changes.login !== undefined) set('login', parseLogin(changes.login))
    if (changes.language !== undefined) set('language', changes.language)
    const email = changes.email === undefined ? null : parseEmail(changes.email)
    const emailChanges = email !== null && email !== before.email
    // Checked before anything is written: a refused change changes nothing.
    if (emailChanges && (await this.findByEmail(email))) throw conflict('an account with this email exists already', 'email')
    if (sets.length > 0) {
      try {
        await this.#pg.query(`UPDATE users SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, values)
      } catch (error) {
        const field = duplicateField(error)
        if (field) throw conflict(`an account with this ${field} exists already`, field)
        throw error
      }
    }
    const user = await this.get(userId)
    if (!emailChanges) return { user, emailPending: null }
    const token = await issueToken(this.#pg, userId, 'change_email', email)
    await this.#mailer.send(emailChangeMail(email, user.firstName, user.language, this.#link('/account/confirm-email', token)))
    return { user, emailPending: email }
  }

  async confirmEmailChange(token: string): Promise<User> {
    let userId: number
    try {
      userId = await this.#pg.transaction(async (tx) => {
        const consumed = await consumeToken(tx, token, 'change_email')
        await tx.query('UPDATE users SET email = $2, email_verified_at = now(), updated_at = now() WHERE id = $1', [consumed.userId, consumed.email])
        // Sessions opened under the old address end with it.
        await closeAllSessions(tx, consumed.userId)
        return consumed.userId
      })
    } catch (error) {
      if (duplicateField(error)) throw conflict('an account with this email exists already', 'email')
      throw error
    }
    return this.get(userId)
  }

  async checkPasswordOf(userId: number, password: string): Promise<void> {
    const [row] = await this.#pg.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [userId])
    if (!row || !(await verifyPassword(row.password_hash, password))) throw badRequest('the password is not right', 'password')
  }

  /** Every context that keeps personal data adds itself here, for the export and the erasure. */
  registerContributor(contributor: PersonalDataContributor): void {
    if (this.#contributors.some((existing) => existing.name === contributor.name)) throw new Error(`two contributors named ${contributor.name}`)
    this.#contributors.push(contributor)
  }

  async exportData(userId: number): Promise<Record<string, unknown>> {
    const document: Record<string, unknown> = { exportedAt: new Date().toISOString() }
    for (const contributor of this.#contributors) document[contributor.name] = await contributor.export(userId)
    return document
  }

  /** Erases the account in every context (the account itself last), in one transaction, and logs it. */
  async erase(userId: number): Promise<string[]> {
    const user = await this.get(userId)
    const contexts = this.#contributors.map((contributor) => contributor.name)
    await this.#pg.transaction(async (tx) => {
      // Other contexts first: their rows may point at the user row.
      for (const contributor of [...this.#contributors].reverse()) await contributor.erase(user, tx)
      await tx.query('INSERT INTO erasures (user_id, contexts) VALUES ($1, $2)', [userId, contexts])
    })
    return contexts
  }
}
