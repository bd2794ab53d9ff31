// DocumentsService on a migrated Postgres (PGlite, and the server at DATABASE_URL): the shipped
// first versions, the publishing rule (translation vs new version, 409, 400s), the database
// refusing to change a published row, diffs, acceptance helpers and the CLI's publishFromFile.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migratePostgres } from '../../server/db/migrate.ts'
import { openPGlite, openPool, type Postgres } from '../../server/db/postgres.ts'
import { describePublished, parsePublishArgs, publishFromFile, PublishUsageError } from '../../server/documents/cli.ts'
import { initialText, seedDocuments } from '../../server/documents/seed.ts'
import { DocumentsService, MAX_DOCUMENT_BYTES, normaliseText, versionsToAccept } from '../../server/documents/service.ts'
import { HttpError } from '../../server/errors.ts'
import { createTemporaryDatabase, explainSkip, serverUrl, type TemporaryDatabase } from '../helpers/postgres.ts'

explainSkip()

const dir = mkdtempSync(join(tmpdir(), 'candor-documents-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The HttpError a promise rejects with. */
async function refusal(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(HttpError)
  return error as HttpError
}

function documentsSuite(open: () => Promise<{ pg: Postgres; close(): Promise<void> }>) {
  let pg: Postgres
  let close: () => Promise<void>
  let documents: DocumentsService
  const rows = () => pg.query<{ kind: string; version: number; language: string }>('SELECT kind, version, language FROM documents ORDER BY kind, version, language')

  beforeAll(async () => {
    ;({ pg, close } = await open())
    await migratePostgres(pg)
    documents = new DocumentsService(pg)
  })
  afterAll(() => close?.())

  describe('the shipped first versions', () => {
    it('are published as version 1 of both kinds in English and Russian, once', async () => {
      expect(await seedDocuments(documents)).toEqual(['privacy', 'terms'])
      expect(await seedDocuments(documents)).toEqual([])
      expect(await rows()).toEqual([
        { kind: 'privacy', version: 1, language: 'en' },
        { kind: 'privacy', version: 1, language: 'ru' },
        { kind: 'terms', version: 1, language: 'en' },
        { kind: 'terms', version: 1, language: 'ru' },
      ])
      expect(await documents.currentVersions()).toEqual({ privacy: 1, terms: 1 })
    })

    it("take the operator's name, address and governing law from the configuration, in place of every placeholder", () => {
      const operator = {
        contact: { en: 'Example Analytics Ltd, 1 High Street, London, privacy@example.com', ru: 'ООО «Пример», privacy@example.com' },
        law: { en: 'England and Wales', ru: 'Англии и Уэльса' },
      }
      for (const kind of ['privacy', 'terms'] as const) {
        for (const language of ['en', 'ru'] as const) {
          const filled = initialText(kind, language, operator)
          // No bracketed placeholder and no note to the operator remain; links keep their brackets.
          expect(filled.replace(/\[[^\]]*\]\(/g, '(')).not.toMatch(/\[[^\]]*\]/)
          expect(filled).not.toMatch(/replaces the words in square brackets|вписывает вместо слов в квадратных скобках|fills in as well|оператор тоже вписывает/)
          expect(filled).toContain(operator.contact[language])
          if (kind === 'terms') expect(filled).toContain(`**${operator.law[language]}**,`)
          // Only the placeholders changed.
          expect(filled.split('\n').length).toBe(initialText(kind, language).split('\n').length)
        }
      }
      // Without a value a placeholder stays, with its note.
      expect(initialText('terms', 'en', { contact: { en: 'X Ltd', ru: null }, law: { en: null, ru: null } })).toContain('[country whose law governs these terms]')
      expect(initialText('terms', 'ru', { contact: { en: 'X Ltd', ru: null }, law: { en: null, ru: null } })).toContain('[название оператора и адрес для связи]')
    })

    it('hold the shipped texts, with the operator placeholder in both languages', async () => {
      const en = await documents.get('privacy', 1, 'en')
      expect(en.text).toBe(initialText('privacy', 'en'))
      expect(en.text).toContain('[operator name and contact address]')
      expect((await documents.get('terms', 1, 'ru')).text).toContain('[название оператора и адрес для связи]')
      expect(en.publishedAt).toBe(en.versionPublishedAt)
      expect(new Date(en.publishedAt).getTime()).toBeGreaterThan(Date.now() - 60_000)
    })

    it('say what the design promises', async () => {
      const policy = (await documents.get('privacy', 1, 'en')).text
      for (const promise of ['IP address', 'never stored', 'Global Privacy Control', 'name, surname, email address and login', 'card details', 'Stripe', 'T-Bank', 'third parties', 'Google Analytics', 'Yandex Metrica', 'Consent Mode', 'I do not want to receive email newsletters', '14 days', 'download your data', 'delete your account', 'posted on this page', 'HTTPS', 'system fonts', 'screen size', 'time zone']) {
        expect(policy.toLowerCase(), promise).toContain(promise.toLowerCase())
      }
      const politika = (await documents.get('privacy', 1, 'ru')).text
      for (const promise of ['IP-адрес', 'никогда не сохраняется', 'имя, фамилию, адрес электронной почты и логин', 'Т-Банк', 'третьим лицам', 'Яндекс Метрика', 'Я не хочу получать рассылку по электронной почте', '14 дней', 'выгрузить свои данные', 'удалить учётную запись', 'публикуются на этой странице']) {
        expect(politika, promise).toContain(promise)
      }
    })
  })

  describe('publishing', () => {
    it('creates the next version when the newest one has the language already', async () => {
      const published = await documents.publish({ kind: 'privacy', language: 'en', text: '# Policy\n\nVersion two.\n' })
      expect(published).toMatchObject({ kind: 'privacy', version: 2, language: 'en', newVersion: true })
      expect(await documents.currentVersions()).toEqual({ privacy: 2, terms: 1 })
      expect(await documents.current('privacy')).toEqual({ version: 2, publishedAt: published.publishedAt, languages: ['en'] })
    })

    it('adds a text in a language the newest version lacks to that version, as its translation', async () => {
      const published = await documents.publish({ kind: 'privacy', language: 'ru', text: '# Политика\n\nВторая версия.\n' })
      expect(published).toMatchObject({ kind: 'privacy', version: 2, language: 'ru', newVersion: false })
      expect(await documents.currentVersions()).toEqual({ privacy: 2, terms: 1 })
      const [newest, first] = await documents.history('privacy')
      expect(newest!.version).toBe(2)
      expect(newest!.languages.map((text) => text.language)).toEqual(['en', 'ru'])
      // The version took effect with its first text; the translation keeps its own time.
      expect(newest!.publishedAt).toBe(newest!.languages[0]!.publishedAt)
      expect(newest!.languages[1]!.publishedAt).toBe(published.publishedAt)
      expect(first!.version).toBe(1)
      const ru = await documents.get('privacy', 2, 'ru')
      expect(ru.versionPublishedAt).toBe(newest!.publishedAt)
      expect(ru.publishedAt).toBe(published.publishedAt)
    })

    it('numbers versions per kind', async () => {
      const published = await documents.publish({ kind: 'terms', language: 'ru', text: 'Новые условия.' })
      expect(published).toMatchObject({ kind: 'terms', version: 2, newVersion: true })
      expect(await documents.currentVersions()).toEqual({ privacy: 2, terms: 2 })
    })

    it('refuses the same text as the newest version in that language with 409, after normalising it', async () => {
      const before = await rows()
      for (const text of ['# Policy\n\nVersion two.\n', '\uFEFF# Policy\r\n\r\nVersion two.\r\n\r\n  ']) {
        const error = await refusal(documents.publish({ kind: 'privacy', language: 'en', text }))
        expect(error).toMatchObject({ statusCode: 409, code: 'conflict', field: 'text' })
        expect(error.message).toMatch(/^nothing changed/)
      }
      expect(await rows()).toEqual(before)
    })

    it('publishes a text equal to an older version’s as a new version (going back is a change)', async () => {
      const text = initialText('terms', 'ru')
      expect(await documents.publish({ kind: 'terms', language: 'ru', text })).toMatchObject({ version: 3, newVersion: true })
    })

    it.each([
      ['an unknown kind', { kind: 'cookies', language: 'en', text: 'x' }, 'kind'],
      ['an unknown language', { kind: 'privacy', language: 'de', text: 'x' }, 'language'],
      ['an empty text', { kind: 'privacy', language: 'en', text: '' }, 'text'],
      ['a blank text', { kind: 'privacy', language: 'en', text: ' \n\t\n ' }, 'text'],
      ['a NUL character', { kind: 'privacy', language: 'en', text: 'a\u0000b' }, 'text'],
      ['a text over 200 KB', { kind: 'privacy', language: 'en', text: 'a'.repeat(MAX_DOCUMENT_BYTES + 1) }, 'text'],
      ['200 KB of UTF-8 in fewer characters', { kind: 'privacy', language: 'ru', text: 'я'.repeat(MAX_DOCUMENT_BYTES / 2 + 1) }, 'text'],
    ])('refuses %s with 400 naming the field', async (_what, input, field) => {
      const before = await rows()
      const error = await refusal(documents.publish(input))
      expect(error).toMatchObject({ statusCode: 400, code: 'invalid_request', field })
      expect(await rows()).toEqual(before)
    })

    it('accepts a text of exactly 200 KB', async () => {
      const text = `${'b'.repeat(MAX_DOCUMENT_BYTES - 1)}\n`
      const published = await documents.publish({ kind: 'privacy', language: 'en', text })
      expect((await documents.get('privacy', published.version, 'en')).text).toBe(text)
    })

    it('gives concurrent publications distinct versions', async () => {
      const results = await Promise.all(
        [1, 2, 3, 4].map((n) => documents.publish({ kind: 'terms', language: 'en', text: `Concurrent ${n}` })),
      )
      // terms v3 has ru only, so the first en text is its translation; the others are new versions.
      expect(results.map((result) => result.version).sort()).toEqual([3, 4, 5, 6])
      expect(results.filter((result) => !result.newVersion).map((result) => result.version)).toEqual([3])
    })
  })

  describe('reading', () => {
    it('404s an unknown version, a missing language and an unknown kind', async () => {
      expect(await refusal(documents.get('privacy', 99, 'en'))).toMatchObject({ statusCode: 404, message: 'the privacy policy has no version 99' })
      const missing = await refusal(documents.get('terms', 2, 'en'))
      expect(missing).toMatchObject({ statusCode: 404 })
      expect(missing.message).toContain('it has: ru')
      expect(await refusal(documents.history('cookies' as never))).toMatchObject({ statusCode: 404 })
    })

    it('lists versions newest first', async () => {
      expect((await documents.history('terms')).map((entry) => entry.version)).toEqual([6, 5, 4, 3, 2, 1])
    })

    it('diffs two versions word by word within changed lines', async () => {
      await documents.publish({ kind: 'privacy', language: 'ru', text: 'Мы храним данные.\n\nВторой абзац.\n' })
      const next = await documents.publish({ kind: 'privacy', language: 'ru', text: 'Мы не храним данные.\n\nВторой абзац.\n' })
      const diff = await documents.diff('privacy', next.version - 1, next.version, 'ru')
      expect(diff.parts).toEqual([
        { change: 'same', text: 'Мы ' },
        { change: 'added', text: 'не ' },
        { change: 'same', text: 'храним данные.\n\nВторой абзац.\n' },
      ])
      const reverse = await documents.diff('privacy', next.version, next.version - 1, 'ru')
      expect(reverse.parts.filter((part) => part.change !== 'same')).toEqual([{ change: 'removed', text: 'не ' }])
      expect(await refusal(documents.diff('privacy', 1, 99, 'ru'))).toMatchObject({ statusCode: 404 })
    })
  })

  describe('the database itself', () => {
    it.each([
      ['UPDATE', "UPDATE documents SET text = 'changed' WHERE kind = 'privacy' AND version = 1"],
      ['UPDATE of the time', "UPDATE documents SET published_at = now() - interval '1 year'"],
      ['DELETE', "DELETE FROM documents WHERE kind = 'privacy' AND version = 1"],
      ['TRUNCATE', 'TRUNCATE documents'],
    ])('refuses %s of published rows', async (_what, sql) => {
      const before = await pg.query('SELECT * FROM documents ORDER BY kind, version, language')
      await expect(pg.query(sql)).rejects.toThrow(/published documents never change/)
      expect(await pg.query('SELECT * FROM documents ORDER BY kind, version, language')).toEqual(before)
    })

    it('refuses rows the service would refuse', async () => {
      await expect(pg.query("INSERT INTO documents (kind, version, language, text) VALUES ('cookies', 1, 'en', 'x')")).rejects.toThrow()
      await expect(pg.query("INSERT INTO documents (kind, version, language, text) VALUES ('terms', 0, 'en', 'x')")).rejects.toThrow()
      await expect(pg.query("INSERT INTO documents (kind, version, language, text) VALUES ('terms', 99, 'de', 'x')")).rejects.toThrow()
      await expect(pg.query("INSERT INTO documents (kind, version, language, text) VALUES ('terms', 99, 'en', '  ')")).rejects.toThrow()
      await expect(pg.query("INSERT INTO documents (kind, version, language, text) VALUES ('terms', 1, 'en', 'again')")).rejects.toThrow()
    })
  })

  describe('publishFromFile (the CLI command)', () => {
    it('publishes a Markdown file and says what it did', async () => {
      const file = join(dir, `policy-${Math.random().toString(36).slice(2)}.md`)
      writeFileSync(file, '\uFEFF# Privacy\r\n\r\nFrom a file.\r\n')
      // The newest privacy version has a Russian text only (from the diff test above).
      const { version: before, languages } = await documents.current('privacy')
      expect(languages).toEqual(['ru'])
      const published = await publishFromFile(documents, { kind: 'privacy', language: 'ru', file })
      expect(published).toMatchObject({ kind: 'privacy', version: before + 1, language: 'ru', newVersion: true })
      expect((await documents.get('privacy', published.version, 'ru')).text).toBe('# Privacy\n\nFrom a file.\n')
      expect(describePublished(published)).toContain(`published version ${before + 1} of the privacy policy (ru)`)
      const translated = await publishFromFile(documents, { kind: 'privacy', language: 'en', file })
      expect(translated).toMatchObject({ version: before + 1, newVersion: false })
      expect(describePublished(translated)).toContain(`added the en text to version ${before + 1}`)
      expect(await refusal(publishFromFile(documents, { kind: 'privacy', language: 'en', file }))).toMatchObject({ statusCode: 409 })
    })

    it('refuses a missing, non-UTF-8 or oversized file before publishing, and bad kinds and languages', async () => {
      const before = await rows()
      expect(await refusal(publishFromFile(documents, { kind: 'privacy', language: 'en', file: join(dir, 'nope.md') }))).toMatchObject({ statusCode: 400, field: 'file' })
      const latin1 = join(dir, 'latin1.md')
      writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9]))
      expect(await refusal(publishFromFile(documents, { kind: 'privacy', language: 'en', file: latin1 }))).toMatchObject({ statusCode: 400, field: 'file' })
      const huge = join(dir, 'huge.md')
      writeFileSync(huge, 'x'.repeat(MAX_DOCUMENT_BYTES * 2))
      expect(await refusal(publishFromFile(documents, { kind: 'privacy', language: 'en', file: huge }))).toMatchObject({ statusCode: 400, field: 'file' })
      const ok = join(dir, 'ok.md')
      writeFileSync(ok, 'fine')
      expect(await refusal(publishFromFile(documents, { kind: 'policy', language: 'en', file: ok }))).toMatchObject({ statusCode: 400, field: 'kind' })
      expect(await refusal(publishFromFile(documents, { kind: 'privacy', language: 'fr', file: ok }))).toMatchObject({ statusCode: 400, field: 'language' })
      expect(await rows()).toEqual(before)
    })

    it('works with anything that publishes (a client of the running server)', async () => {
      const file = join(dir, 'remote.md')
      writeFileSync(file, 'remote')
      const calls: unknown[] = []
      const published = { kind: 'terms' as const, version: 9, language: 'en' as const, publishedAt: new Date().toISOString(), newVersion: true }
      const result = await publishFromFile({ publish: async (input) => (calls.push(input), published) }, { kind: 'terms', language: 'en', file })
      expect(result).toBe(published)
      expect(calls).toEqual([{ kind: 'terms', language: 'en', text: 'remote' }])
    })
  })
}

describe('on PGlite', () => {
  documentsSuite(async () => {
    const pg = await openPGlite(join(dir, 'pglite'))
    return { pg, close: () => pg.close() }
  })
})

describe.skipIf(!serverUrl)('on the PostgreSQL server at DATABASE_URL', () => {
  documentsSuite(async () => {
    const database: TemporaryDatabase = await createTemporaryDatabase()
    const pg = await openPool(database.url)
    return {
      pg,
      close: async () => {
        await pg.close()
        await database.drop()
      },
    }
  })
})

describe('publishFromFile on a database nobody has started a server on', () => {
  it('publishes the shipped version 1 first, so the file becomes version 2', async () => {
    const pg = await openPGlite(join(dir, 'fresh'))
    try {
      await migratePostgres(pg)
      const documents = new DocumentsService(pg)
      const file = join(dir, 'first.md')
      writeFileSync(file, 'The operator’s own policy.')
      expect(await publishFromFile(documents, { kind: 'privacy', language: 'en', file })).toMatchObject({ version: 2, newVersion: true })
      expect(await documents.currentVersions()).toEqual({ privacy: 2, terms: 1 })
      expect((await documents.get('privacy', 1, 'ru')).text).toBe(initialText('privacy', 'ru'))
    } finally {
      await pg.close()
    }
  })
})

describe('helpers', () => {
  it('parses the command line of policy publish', () => {
    expect(parsePublishArgs(['--kind', 'privacy', '--lang', 'en', '--file', 'policy.md'])).toEqual({ kind: 'privacy', language: 'en', file: 'policy.md' })
    expect(() => parsePublishArgs(['--kind', 'privacy', '--file', 'policy.md'])).toThrow(PublishUsageError)
    expect(() => parsePublishArgs(['--kind', 'privacy', '--lang', 'en', '--file', 'a.md', 'extra'])).toThrow(PublishUsageError)
    expect(() => parsePublishArgs(['--kind', 'privacy', '--lang', 'en', '--file', 'a.md', '--force'])).toThrow()
  })

  it('says which versions a person must accept: those in effect they have not accepted', () => {
    const current = { privacy: 3, terms: 1 }
    expect(versionsToAccept(current, [])).toEqual([
      { kind: 'privacy', version: 3 },
      { kind: 'terms', version: 1 },
    ])
    expect(versionsToAccept(current, [{ kind: 'privacy', version: 2 }, { kind: 'terms', version: 1 }])).toEqual([{ kind: 'privacy', version: 3 }])
    expect(versionsToAccept(current, [{ kind: 'privacy', version: 3 }, { kind: 'terms', version: 1 }])).toEqual([])
    expect(versionsToAccept({ privacy: 0, terms: 1 }, [{ kind: 'terms', version: 1 }])).toEqual([])
  })

  it('normalises texts: no BOM, \\n line endings, one newline at the end', () => {
    expect(normaliseText('\uFEFFa\r\nb\rc  \n\n')).toBe('a\nb\nc\n')
  })
})
