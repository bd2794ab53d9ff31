// The documents' routes: the public pages (/policy, /terms and their /diff), the public JSON API,
// and publishing for the operator. Pages answer people, so their errors are pages too (same
// statuses); the JSON routes answer {error, message, field?} like every API route.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { HttpError, notFound } from '../errors.ts'
import { diffPage, DOCUMENT_PATHS, documentPage, errorPage, PAGE_CSP } from './pages.ts'
import { renderDocument } from './render.ts'
import {
  DOCUMENT_KINDS,
  DOCUMENT_LANGUAGES,
  documentKind,
  isDocumentLanguage,
  MAX_DOCUMENT_BYTES,
  type DocumentKind,
  type DocumentLanguage,
  type VersionSummary,
} from './service.ts'

export const DocumentVersionBody = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    publishedAt: Type.String({ format: 'date-time', description: 'When the version took effect: its first text was published' }),
    languages: Type.Array(
      Type.Object({ language: Type.Enum([...DOCUMENT_LANGUAGES]), publishedAt: Type.String({ format: 'date-time' }) }),
      { description: 'Its texts; a translation added later has its own publication time' },
    ),
  },
  { $id: 'DocumentVersion' },
)

export const DocumentTextBody = Type.Object(
  {
    kind: Type.Enum([...DOCUMENT_KINDS]),
    version: Type.Integer({ minimum: 1 }),
    language: Type.Enum([...DOCUMENT_LANGUAGES]),
    publishedAt: Type.String({ format: 'date-time', description: 'When this text was published' }),
    versionPublishedAt: Type.String({ format: 'date-time', description: 'When its version took effect' }),
    text: Type.String({ description: 'Markdown' }),
    html: Type.String({ description: 'The Markdown rendered safely: no raw HTML, links to http, https and mailto only, no images' }),
  },
  { $id: 'DocumentText' },
)

const Kind = Type.String({ maxLength: 32, description: 'privacy or terms' })
const Language = Type.Enum([...DOCUMENT_LANGUAGES])
const Version = Type.Integer({ minimum: 1, maximum: 2_147_483_647 })
/** Pages take any lang and fall back to Accept-Language: a person's link should not fail over "de". */
const PageLanguage = Type.Optional(Type.String({ maxLength: 35, description: 'en or ru; otherwise Accept-Language decides' }))
const Html = (description: string) => ({ description, content: { 'text/html': { schema: Type.String() } } })
const PageResponses = { 200: Html('The page'), 400: Html('A page saying what is wrong with the address'), 404: Html('A page saying there is no such version') }

/** `?lang=` when it names a language we have, else the first of Accept-Language we have, else English. */
export function visitorLanguage(requested: unknown, acceptLanguage: string | undefined): DocumentLanguage {
  if (typeof requested === 'string' && isDocumentLanguage(requested.toLowerCase())) return requested.toLowerCase() as DocumentLanguage
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .slice(0, 32)
    .map((entry, index) => {
      const [tag = '', ...params] = entry.trim().split(';')
      const q = params.map((param) => /^\s*q\s*=\s*([\d.]+)\s*$/i.exec(param)?.[1]).find(Boolean)
      return { language: tag.trim().split('-')[0]!.toLowerCase(), q: q === undefined ? 1 : Number(q), index }
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
  return (ranked.find((entry) => isDocumentLanguage(entry.language))?.language as DocumentLanguage | undefined) ?? 'en'
}

/** The language to show a version in: the one asked for when it has it, else English, else its first. */
function textLanguage(summary: VersionSummary, preferred: DocumentLanguage): DocumentLanguage {
  const languages = summary.languages.map((text) => text.language)
  if (languages.includes(preferred)) return preferred
  return languages.includes('en') ? 'en' : languages[0]!
}

function findVersion(kind: DocumentKind, history: readonly VersionSummary[], version: number | undefined): VersionSummary {
  const found = version === undefined ? history[0] : history.find((entry) => entry.version === version)
  if (!found) throw notFound(version === undefined ? `nothing has been published as the ${kind} document yet` : `there is no version ${version}`)
  return found
}

const pageHeaders = (reply: FastifyReply) =>
  reply
    .type('text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-cache')
    .header('vary', 'Accept-Language')

/** An error page in the visitor's language, logged once like every refused request. */
function refuse(request: FastifyRequest, reply: FastifyReply, language: DocumentLanguage, kind: DocumentKind, status: number, message: string) {
  request.log.info({ status, error: status === 404 ? 'not_found' : 'invalid_request' }, message)
  return pageHeaders(reply).status(status).send(errorPage(language, kind, status, message))
}

/** Renders a page; a refusal (4xx) from the service becomes an error page. */
async function page(request: FastifyRequest, reply: FastifyReply, language: DocumentLanguage, kind: DocumentKind, render: () => Promise<string>) {
  try {
    return pageHeaders(reply).send(await render())
  } catch (error) {
    if (!(error instanceof HttpError) || error.statusCode >= 500) throw error
    return refuse(request, reply, language, kind, error.statusCode, error.message)
  }
}

export const documentRoutes: FastifyPluginAsyncTypebox = async (app) => {

  for (const kind of DOCUMENT_KINDS) {
    const title = kind === 'privacy' ? 'the privacy policy' : 'the terms'

    app.get(
      DOCUMENT_PATHS[kind],
      {
        attachValidation: true,
        schema: {
          summary: `Show ${title} (HTML)`,
          description: 'The version in effect, or ?version=N, in ?lang= or the Accept-Language, with the list of versions.',
          tags: ['documents'],
          produces: ['text/html'],
          querystring: Type.Object({ version: Type.Optional(Version), lang: PageLanguage }),
          response: PageResponses,
        },
      },
      async (request, reply) => {
        const language = visitorLanguage(request.query?.lang, request.headers['accept-language'])
        if (request.validationError) return refuse(request, reply, language, kind, 400, request.validationError.message)
        return page(request, reply, language, kind, async () => {
          const history = await app.documents.history(kind)
          const summary = findVersion(kind, history, request.query.version)
          const document = await app.documents.get(kind, summary.version, textLanguage(summary, language))
          return documentPage({ uiLanguage: language, document, html: renderDocument(document), history })
        })
      },
    )

    app.get(
      `${DOCUMENT_PATHS[kind]}/diff`,
      {
        attachValidation: true,
        schema: {
          summary: `What changed between two versions of ${title} (HTML)`,
          description: 'Word by word, insertions in <ins> and deletions in <del>, on the Markdown source.',
          tags: ['documents'],
          produces: ['text/html'],
          querystring: Type.Object({ from: Version, to: Version, lang: PageLanguage }),
          response: PageResponses,
        },
      },
      async (request, reply) => {
        const language = visitorLanguage(request.query?.lang, request.headers['accept-language'])
        if (request.validationError) return refuse(request, reply, language, kind, 400, request.validationError.message)
        return page(request, reply, language, kind, async () => {
          const history = await app.documents.history(kind)
          const from = findVersion(kind, history, request.query.from)
          const to = findVersion(kind, history, request.query.to)
          const common = DOCUMENT_LANGUAGES.filter((candidate) =>
            [from, to].every((summary) => summary.languages.some((text) => text.language === candidate)),
          )
          if (common.length === 0) throw notFound(`versions ${from.version} and ${to.version} have no language in common`)
          const textIn = common.includes(language) ? language : common[0]!
          const diff = await app.documents.diff(kind, from.version, to.version, textIn)
          return diffPage({ uiLanguage: language, diff, history })
        })
      },
    )
  }

  const Errors = { 400: Type.Ref('ErrorBody'), 404: Type.Ref('ErrorBody') }

  app.get(
    '/api/documents/:kind',
    {
      schema: {
        summary: 'The versions of the privacy policy or the terms',
        description: 'The version in effect (the newest) and every version, newest first, with their languages and dates.',
        tags: ['documents'],
        params: Type.Object({ kind: Kind }),
        response: {
          200: Type.Object({
            kind: Type.Enum([...DOCUMENT_KINDS]),
            current: Type.Ref('DocumentVersion'),
            versions: Type.Array(Type.Ref('DocumentVersion')),
          }),
          ...Errors,
        },
      },
    },
    async (request) => {
      const kind = documentKind(request.params.kind)
      const versions = await app.documents.history(kind)
      return { kind, current: findVersion(kind, versions, undefined), versions }
    },
  )

  app.get(
    '/api/documents/:kind/:version',
    {
      schema: {
        summary: 'One version of the privacy policy or the terms: its Markdown and its HTML',
        description: 'In ?lang= (404 when the version has no text in it); without it, in English or else the language it has.',
        tags: ['documents'],
        params: Type.Object({ kind: Kind, version: Version }),
        querystring: Type.Object({ lang: Type.Optional(Language) }),
        response: { 200: Type.Ref('DocumentText'), ...Errors },
      },
    },
    async (request) => {
      const kind = documentKind(request.params.kind)
      const { version } = request.params
      const language = request.query.lang ?? textLanguage(findVersion(kind, await app.documents.history(kind), version), 'en')
      const document = await app.documents.get(kind, version, language)
      return { ...document, html: renderDocument(document) }
    },
  )

  app.post(
    '/api/admin/documents',
    {
      onRequest: app.requireOperatorOrAdmin,
      // 200 KB of text can take six times that as JSON (\u escapes); the token is checked first.
      bodyLimit: 2 * 1024 * 1024,
      schema: {
        summary: 'Publish a text of the privacy policy or the terms',
        description:
          'Adds the text to the newest version when that version has no text in the language yet (a translation); ' +
          'otherwise creates the next version, which asks every registered person to accept it again. ' +
          `Texts are Markdown, at most ${MAX_DOCUMENT_BYTES / 1024} KB; the same text as the newest version's is refused (409).`,
        tags: ['documents'],
        security: [{ bearer: [] }],
        body: Type.Object(
          {
            kind: Type.Enum([...DOCUMENT_KINDS]),
            language: Language,
            text: Type.String({ maxLength: MAX_DOCUMENT_BYTES, description: 'Markdown' }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            kind: Type.Enum([...DOCUMENT_KINDS]),
            version: Type.Integer(),
            language: Language,
            publishedAt: Type.String({ format: 'date-time' }),
            newVersion: Type.Boolean({ description: 'true: a new version; false: a translation added to the newest version' }),
          }),
          400: Type.Ref('ErrorBody'),
          401: Type.Ref('ErrorBody'),
          409: Type.Ref('ErrorBody'),
        },
      },
    },
    async (request, reply) => reply.status(201).send(await app.documents.publish(request.body)),
  )
}
