// The service operator's starting privacy policy and terms (initial/<kind>.<language>.md), published
// as version 1 in every language when a kind has no version yet. Runs at every start; once a kind
// has any version it does nothing for it, so the operator's own versions are never touched.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DOCUMENT_KINDS, DOCUMENT_LANGUAGES, type DocumentKind, type DocumentLanguage, type DocumentsService } from './service.ts'

export const initialDocumentsDir = join(dirname(fileURLToPath(import.meta.url)), 'initial')

/**
 * Who "we" are in the shipped texts, by language (config OPERATOR_CONTACT[_RU], GOVERNING_LAW[_RU]).
 * Unset, the texts keep their bracketed placeholders and the sentence asking the operator to fill
 * them in; set, the values take the brackets' place and that sentence goes.
 */
export interface OperatorDetails {
  contact: Readonly<Record<DocumentLanguage, string | null>>
  law: Readonly<Record<DocumentLanguage, string | null>>
}

/** The placeholders and the operator's instructions, exactly as the shipped files spell them. */
const PLACEHOLDERS: Record<DocumentLanguage, { contact: string; law: string; instruction: RegExp; lawInstruction: readonly [string, string] }> = {
  en: {
    contact: '[operator name and contact address]',
    law: '[country whose law governs these terms]',
    instruction: / The operator of this site replaces the words in square brackets[^;]*; until then the brackets mark where they belong\./,
    lawInstruction: [', which the operator fills in as well,', ','],
  },
  ru: {
    contact: '[название оператора и адрес для связи]',
    law: '[страна, право которой применяется к соглашению]',
    instruction: / Перед публикацией оператор сайта вписывает вместо слов в квадратных скобках[^;]*; пока этого не сделано, скобки показывают, где они должны стоять\./,
    lawInstruction: [' — её оператор тоже вписывает сам, —', ','],
  },
}

export function initialText(kind: DocumentKind, language: DocumentLanguage, operator?: OperatorDetails): string {
  let text = readFileSync(join(initialDocumentsDir, `${kind}.${language}.md`), 'utf8')
  const marks = PLACEHOLDERS[language]
  const contact = operator?.contact[language]
  const law = operator?.law[language]
  if (contact) text = text.replaceAll(marks.contact, contact).replace(marks.instruction, '')
  if (law) text = text.replaceAll(marks.law, law).replace(...marks.lawInstruction)
  return text
}

/** Publishes the shipped version 1 of each kind that has none; returns the kinds it published. */
export async function seedDocuments(documents: DocumentsService, operator?: OperatorDetails): Promise<DocumentKind[]> {
  const texts = Object.fromEntries(
    DOCUMENT_KINDS.map((kind) => [kind, Object.fromEntries(DOCUMENT_LANGUAGES.map((language) => [language, initialText(kind, language, operator)]))]),
  ) as Record<DocumentKind, Record<DocumentLanguage, string>>
  return documents.publishInitial(texts)
}
