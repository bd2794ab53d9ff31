// The documents context: the privacy policy and the terms, versioned and bilingual (policy
// promise 3: changes are posted on one page). Public pages at /policy and /terms, a JSON API,
// publishing by the operator; the accounts context asks it which versions are in effect.
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { DocumentTextBody, DocumentVersionBody, documentRoutes } from './routes.ts'
import { seedDocuments } from './seed.ts'
import { DocumentsService } from './service.ts'

export {
  DocumentsService,
  DOCUMENT_KINDS,
  DOCUMENT_LANGUAGES,
  MAX_DOCUMENT_BYTES,
  isDocumentKind,
  isDocumentLanguage,
  versionsToAccept,
} from './service.ts'
export type {
  CurrentVersions,
  DocumentDiff,
  DocumentKind,
  DocumentLanguage,
  DocumentText,
  PublishedDocument,
  PublishInput,
  VersionSummary,
} from './service.ts'
export { seedDocuments } from './seed.ts'
export { DOCUMENT_PATHS, diffUrl, pageUrl } from './pages.ts'
export { publishFromFile, parsePublishArgs, describePublished, PUBLISH_USAGE, PublishUsageError } from './cli.ts'

declare module 'fastify' {
  interface FastifyInstance {
    documents: DocumentsService
  }
}

export const documentsPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const documents = new DocumentsService(app.postgres)
    // The shipped version 1 of each kind that has none, before any route can be asked for it.
    const seeded = await seedDocuments(documents, config.operator)
    if (seeded.length > 0 && !config.operator.contact.en) {
      app.log.warn('the shipped privacy policy and terms were published with a placeholder for the operator; set OPERATOR_CONTACT (and GOVERNING_LAW) before the first start, or publish your own versions')
    }
    app.decorate('documents', documents)
    // On the root instance: a context calling addSchema would get Fastify's default validator
    // (which strips unknown fields and coerces types) instead of the app's TypeBox one.
    app.addSchema(DocumentVersionBody)
    app.addSchema(DocumentTextBody)
    await app.register(documentRoutes)
  },
  { name: 'documents', dependencies: ['databases', 'auth'] },
)
