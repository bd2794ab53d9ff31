// The service operator's starting privacy policy and terms (initial/<kind>.<language>.md), published
// as version 1 in every language when a kind has no version yet. Runs at every start; once a kind
// has any version it does nothing for it, so the operator's own versions are never touched.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DOCUMENT_KINDS, DOCUMENT_LANGUAGES, type DocumentKind, type DocumentLanguage, type DocumentsService } from './service.ts'

export const initialDocumentsDir = join(dirname(fileURLToPath(import.meta.url)), 'initial')

export function initialText(kind: DocumentKind, language: DocumentLanguage): string {
  return readFileSync(join(initialDocumentsDir, `${kind}.${language}.md`), 'utf8')
}

/** Publishes the shipped version 1 of each kind that has none; returns the kinds it published. */
export async function seedDocuments(documents: DocumentsService): Promise<DocumentKind[]> {
  const texts = Object.fromEntries(
    DOCUMENT_KINDS.map((kind) => [kind, Object.fromEntries(DOCUMENT_LANGUAGES.map((language) => [language, initialText(kind, language)]))]),
  ) as Record<DocumentKind, Record<DocumentLanguage, string>>
  return documents.publishInitial(texts)
}
