// The privacy policy and the terms in Postgres: published versions, their translations, history
// and the differences between two versions. A published text never changes (the database refuses).
//
// Publishing rule. Versions are numbered per kind, from 1; one version may carry a text in each
// language, and each text has its own published_at. publish({ kind, language, text }):
//   - the newest version of the kind has no text in `language` yet: the text is added to that
//     version, as its translation (same number, its own published_at);
//   - the newest version has a text in `language` already: a new version (newest + 1) is created
//     with this one text; its other languages are added later by the same rule;
//   - no version of the kind exists: version 1 is created.
// Refused, changing nothing: an unknown kind or language (400 naming the field), an empty text or
// one over 200 KB of UTF-8 (400, field "text"), and a text equal to the newest version's text in
// that language (409 "nothing changed"). Texts are compared after normalisation: a leading BOM is
// dropped, line endings become \n, trailing whitespace at the end becomes one \n.
//
// A version takes effect when its first text is published (its publishedAt); adding a translation
// later does not make a new version, so it asks nobody to accept anything again. A new version
// does: acceptance records name the version numbers of currentVersions().
import { diffArrays, diffLines } from 'diff'
import type { Postgres, Queryable } from '../db/index.ts'
import { badRequest, conflict, notFound } from '../errors.ts'

export const DOCUMENT_KINDS = ['privacy', 'terms'] as const
export type DocumentKind = (typeof DOCUMENT_KINDS)[number]
export const DOCUMENT_LANGUAGES = ['en', 'ru'] as const
export type DocumentLanguage = (typeof DOCUMENT_LANGUAGES)[number]

/** The largest text accepted, in bytes of UTF-8. */
export const MAX_DOCUMENT_BYTES = 200 * 1024

export const isDocumentKind = (value: unknown): value is DocumentKind => DOCUMENT_KINDS.includes(value as DocumentKind)
export const isDocumentLanguage = (value: unknown): value is DocumentLanguage =>
  DOCUMENT_LANGUAGES.includes(value as DocumentLanguage)

/** One published text: a version of a kind in one language. */
export interface DocumentText {
  readonly kind: DocumentKind
  readonly version: number
  readonly language: DocumentLanguage
  /** Markdown. */
  readonly text: string
  /** When this text was published. */
  readonly publishedAt: string
  /** When its version took effect: the publication of its first text. */
  readonly versionPublishedAt: string
}

export interface VersionSummary {
  readonly version: number
  /** When the version took effect: the publication of its first text. */
  readonly publishedAt: string
  /** Its texts, in the order of DOCUMENT_LANGUAGES. */
  readonly languages: ReadonlyArray<{ readonly language: DocumentLanguage; readonly publishedAt: string }>
}

export interface PublishInput {
  kind: string
  language: string
  text: string
}

export interface PublishedDocument {
  readonly kind: DocumentKind
  readonly version: number
  readonly language: DocumentLanguage
  readonly publishedAt: string
  /** True when this created a new version (which asks for acceptance again), false for a translation. */
  readonly newVersion: boolean
}

/** The version numbers in effect, for acceptance records; 0 while a kind has none. */
export type CurrentVersions = Record<DocumentKind, number>

/** A piece of a diff between two texts of a version; `text` is Markdown source, not HTML. */
export interface DiffPart {
  readonly change: 'same' | 'added' | 'removed'
  readonly text: string
}

export interface DocumentDiff {
  readonly kind: DocumentKind
  readonly language: DocumentLanguage
  readonly from: number
  readonly to: number
  readonly parts: readonly DiffPart[]
}

/** The kinds whose version in effect is not among those accepted: what a login must ask for again. */
export function versionsToAccept(
  current: CurrentVersions,
  accepted: Iterable<{ kind: string; version: number }>,
): Array<{ kind: DocumentKind; version: number }> {
  const seen = new Set([...accepted].map(({ kind, version }) => `${kind}:${version}`))
  return DOCUMENT_KINDS.filter((kind) => current[kind] > 0 && !seen.has(`${kind}:${current[kind]}`)).map((kind) => ({
    kind,
    version: current[kind],
  }))
}

const KIND_NAMES: Record<DocumentKind, string> = { privacy: 'privacy policy', terms: 'terms' }

export function normaliseText(text: string): string {
  return `${text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').trimEnd()}\n`
}

/** A value from the request, quoted and cut short for a message. */
const quote = (value: unknown) => JSON.stringify(String(value).slice(0, 40))

function parseKind(kind: string): DocumentKind {
  if (!isDocumentKind(kind)) throw badRequest(`kind must be one of ${DOCUMENT_KINDS.join(', ')}, not ${quote(kind)}`, 'kind')
  return kind
}

function parseLanguage(language: string, field = 'language'): DocumentLanguage {
  if (!isDocumentLanguage(language)) {
    throw badRequest(`${field} must be one of ${DOCUMENT_LANGUAGES.join(', ')}, not ${quote(language)}`, field)
  }
  return language
}

function parseText(text: string): string {
  if (typeof text !== 'string' || text.trim() === '') throw badRequest('the text is empty', 'text')
  if (text.includes('\u0000')) throw badRequest('the text contains a NUL character', 'text')
  const normalised = normaliseText(text)
  const bytes = Buffer.byteLength(normalised)
  if (bytes > MAX_DOCUMENT_BYTES) {
    throw badRequest(`the text is ${Math.ceil(bytes / 1024)} KB; the limit is ${MAX_DOCUMENT_BYTES / 1024} KB`, 'text')
  }
  return normalised
}

/** For reads: an unknown kind is a page or resource that does not exist. */
export function documentKind(kind: string): DocumentKind {
  if (!isDocumentKind(kind)) throw notFound(`no document kind ${quote(kind)}; there are ${DOCUMENT_KINDS.join(', ')}`)
  return kind
}

/** Held while publishing or seeding, so two nodes never number the same version twice. */
const DOCUMENTS_LOCK = 727004
/** A diff that takes longer (long texts with little in common) shows the pieces whole instead. */
const DIFF_TIMEOUT_MS = 250
/** Diffs kept: texts are small (a policy is tens of KB), but up to 200 KB each. */
const CACHE_SIZE = 32

interface TextRow {
  kind: DocumentKind
  version: number
  language: DocumentLanguage
  text: string
  published_at: Date
  version_published_at: Date
}

const languageOrder = (language: DocumentLanguage) => DOCUMENT_LANGUAGES.indexOf(language)

export class DocumentsService {
  readonly #pg: Postgres
  /** Published texts never change, so what is derived from them can be kept (bounded, oldest out). */
  readonly #diffs = new Map<string, DocumentDiff>()

  constructor(pg: Postgres) {
    this.#pg = pg
  }

  /** Every version of a kind, newest first. */
  async history(kind: DocumentKind): Promise<VersionSummary[]> {
    documentKind(kind)
    const rows = await this.#pg.query<{ version: number; language: DocumentLanguage; published_at: Date }>(
      'SELECT version, language, published_at FROM documents WHERE kind = $1 ORDER BY version DESC, published_at',
      [kind],
    )
    const versions = new Map<number, Array<{ language: DocumentLanguage; publishedAt: Date }>>()
    for (const row of rows) {
      const texts = versions.get(row.version) ?? []
      texts.push({ language: row.language, publishedAt: row.published_at })
      versions.set(row.version, texts)
    }
    return [...versions].map(([version, texts]) => ({
      version,
      publishedAt: new Date(Math.min(...texts.map((text) => text.publishedAt.getTime()))).toISOString(),
      languages: texts
        .sort((a, b) => languageOrder(a.language) - languageOrder(b.language))
        .map((text) => ({ language: text.language, publishedAt: text.publishedAt.toISOString() })),
    }))
  }

  /** The version in effect: the newest one. */
  async current(kind: DocumentKind): Promise<{ version: number; publishedAt: string; languages: DocumentLanguage[] }> {
    const [newest] = await this.history(kind)
    if (!newest) throw notFound(`no ${KIND_NAMES[kind]} has been published yet`)
    return { version: newest.version, publishedAt: newest.publishedAt, languages: newest.languages.map((text) => text.language) }
  }

  /** The version numbers in effect, for acceptance records (0 for a kind with none published). */
  async currentVersions(): Promise<CurrentVersions> {
    const rows = await this.#pg.query<{ kind: DocumentKind; version: number }>(
      'SELECT kind, max(version) AS version FROM documents GROUP BY kind',
    )
    const current: CurrentVersions = { privacy: 0, terms: 0 }
    for (const row of rows) current[row.kind] = Number(row.version)
    return current
  }

  async get(kind: DocumentKind, version: number, language: DocumentLanguage): Promise<DocumentText> {
    documentKind(kind)
    parseLanguage(language, 'lang')
    const rows = await this.#pg.query<TextRow>(
      `SELECT kind, version, language, text, published_at,
              (SELECT min(published_at) FROM documents AS first WHERE first.kind = d.kind AND first.version = d.version) AS version_published_at
       FROM documents AS d WHERE kind = $1 AND version = $2 AND language = $3`,
      [kind, version, language],
    )
    const row = rows[0]
    if (!row) {
      const [summary] = (await this.history(kind)).filter((entry) => entry.version === version)
      if (!summary) throw notFound(`the ${KIND_NAMES[kind]} has no version ${version}`)
      const available = summary.languages.map((text) => text.language).join(', ')
      throw notFound(`version ${version} of the ${KIND_NAMES[kind]} has no text in "${language}" (it has: ${available})`)
    }
    return {
      kind: row.kind,
      version: row.version,
      language: row.language,
      text: row.text,
      publishedAt: row.published_at.toISOString(),
      versionPublishedAt: row.version_published_at.toISOString(),
    }
  }

  /** Publishes a text by the rule at the top of this file. */
  async publish(input: PublishInput): Promise<PublishedDocument> {
    const kind = parseKind(input.kind)
    const language = parseLanguage(input.language)
    const text = parseText(input.text)
    return this.#pg.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [DOCUMENTS_LOCK])
      const [newest] = await tx.query<{ version: number | null }>('SELECT max(version) AS version FROM documents WHERE kind = $1', [kind])
      const newestVersion = newest?.version ?? 0
      const [existing] = await tx.query<{ text: string }>(
        'SELECT text FROM documents WHERE kind = $1 AND version = $2 AND language = $3',
        [kind, newestVersion, language],
      )
      if (existing && existing.text === text) {
        throw conflict(`nothing changed: the text is the same as version ${newestVersion} of the ${KIND_NAMES[kind]} in "${language}"`, 'text')
      }
      const version = existing || newestVersion === 0 ? newestVersion + 1 : newestVersion
      const [row] = await insertText(tx, kind, version, language, text)
      return { kind, version, language, publishedAt: row!.published_at.toISOString(), newVersion: version !== newestVersion }
    })
  }

  /**
   * Publishes `texts` as version 1 of each kind that has no version yet (the shipped starting
   * documents); a kind with any version is left alone. Returns the kinds it published.
   */
  async publishInitial(texts: Record<DocumentKind, Record<DocumentLanguage, string>>): Promise<DocumentKind[]> {
    const prepared = DOCUMENT_KINDS.map((kind) => ({ kind, texts: DOCUMENT_LANGUAGES.map((language) => ({ language, text: parseText(texts[kind][language]) })) }))
    return this.#pg.transaction(async (tx) => {
      // The same lock as publish: nodes starting together seed once, and never beside a publish.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [DOCUMENTS_LOCK])
      const present = new Set((await tx.query<{ kind: DocumentKind }>('SELECT DISTINCT kind FROM documents')).map((row) => row.kind))
      const published: DocumentKind[] = []
      for (const { kind, texts: languages } of prepared) {
        if (present.has(kind)) continue
        for (const { language, text } of languages) await insertText(tx, kind, 1, language, text)
        published.push(kind)
      }
      return published
    })
  }

  /** The changes from one version's text to another's in one language, word by word within changed lines. */
  async diff(kind: DocumentKind, from: number, to: number, language: DocumentLanguage): Promise<DocumentDiff> {
    const key = `${kind}:${from}:${to}:${language}`
    const cached = this.#diffs.get(key)
    if (cached) return cached
    const [before, after] = await Promise.all([this.get(kind, from, language), this.get(kind, to, language)])
    const result: DocumentDiff = { kind, language, from, to, parts: diffTexts(before.text, after.text) }
    if (this.#diffs.size >= CACHE_SIZE) this.#diffs.delete(this.#diffs.keys().next().value!)
    this.#diffs.set(key, result)
    return result
  }
}

function insertText(db: Queryable, kind: DocumentKind, version: number, language: DocumentLanguage, text: string) {
  return db.query<{ published_at: Date }>(
    'INSERT INTO documents (kind, version, language, text) VALUES ($1, $2, $3, $4) RETURNING published_at',
    [kind, version, language, text],
  )
}

/**
 * Lines first (cheap, and keeps untouched paragraphs whole), then words within each run of
 * removed lines followed by added lines, so a reworded sentence shows the words that changed.
 * A run rewritten beyond recognition reads better as the old text struck out, then the new.
 */
export function diffTexts(before: string, after: string): DiffPart[] {
  const lines = diffLines(before, after, { timeout: DIFF_TIMEOUT_MS })
  if (!lines) return [...part('removed', before), ...part('added', after)]
  const parts: DiffPart[] = []
  for (let i = 0; i < lines.length; i++) {
    const change = lines[i]!
    const next = lines[i + 1]
    if (change.removed && next?.added) {
      parts.push(...diffRun(change.value, next.value))
      i++
    } else {
      parts.push(...part(change.added ? 'added' : change.removed ? 'removed' : 'same', change.value))
    }
  }
  return merge(parts)
}

/** Below this share of unchanged letters, a rewritten run is shown whole rather than word by word. */
const MIN_SHARED = 0.5

/**
 * Words in any script (jsdiff's own word splitter knows Latin letters only, and would cut Russian
 * into single letters), runs of spaces, line breaks, and each other character alone.
 */
const TOKEN = /\n|[\p{L}\p{M}\p{N}_]+(?:['’-][\p{L}\p{M}\p{N}_]+)*|[^\S\n]+|[^]/gu

function diffRun(removed: string, added: string): DiffPart[] {
  const whole = [...part('removed', removed), ...part('added', added)]
  const tokens = diffArrays(removed.match(TOKEN) ?? [], added.match(TOKEN) ?? [], { timeout: DIFF_TIMEOUT_MS })
  if (!tokens) return whole
  const words = tokens.map((change) => ({ added: change.added, removed: change.removed, value: change.value.join('') }))
  const letters = (text: string) => text.replace(/\s+/g, '').length
  const shared = words.filter((word) => !word.added && !word.removed).reduce((sum, word) => sum + letters(word.value), 0)
  if (shared < MIN_SHARED * Math.max(letters(removed), letters(added))) return whole
  // Changes separated only by spaces or punctuation are one change: "<del>two years</del><ins>one
  // year</ins>", not "<del>two</del><ins>one</ins> <del>years</del><ins>year</ins>".
  const parts: DiffPart[] = []
  let old = ''
  let fresh = ''
  let gap = ''
  const close = () => {
    parts.push(...part('removed', old), ...part('added', fresh))
    old = fresh = ''
  }
  for (const word of words) {
    if (word.removed || word.added) {
      if (old || fresh) {
        old += gap
        fresh += gap
      } else parts.push(...part('same', gap))
      gap = ''
      if (word.removed) old += word.value
      else fresh += word.value
    } else if (/^[^\p{L}\p{N}\n]+$/u.test(word.value)) {
      gap += word.value
    } else {
      close()
      parts.push(...part('same', gap + word.value))
      gap = ''
    }
  }
  close()
  parts.push(...part('same', gap))
  return parts
}

/** Neighbouring pieces of the same kind read better as one. */
function merge(parts: DiffPart[]): DiffPart[] {
  return parts.reduce<DiffPart[]>((merged, piece) => {
    const last = merged[merged.length - 1]
    if (last && last.change === piece.change) merged[merged.length - 1] = { change: last.change, text: last.text + piece.text }
    else merged.push(piece)
    return merged
  }, [])
}

const part = (change: DiffPart['change'], text: string): DiffPart[] => (text === '' ? [] : [{ change, text }])
