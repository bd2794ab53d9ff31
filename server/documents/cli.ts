// `npm run candor -- policy publish --kind privacy --lang en --file policy.md`: reading the file and
// publishing it, for server/cli/main.ts to call with a DocumentsService on the databases, or with
// anything that publishes (e.g. POST /api/admin/documents through a running server).
import { readFile, stat } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { badRequest } from '../errors.ts'
import { seedDocuments, type OperatorDetails } from './seed.ts'
import {
  DOCUMENT_KINDS,
  DOCUMENT_LANGUAGES,
  DocumentsService,
  MAX_DOCUMENT_BYTES,
  type PublishedDocument,
  type PublishInput,
} from './service.ts'

export const PUBLISH_USAGE = `policy publish --kind <${DOCUMENT_KINDS.join('|')}> --lang <${DOCUMENT_LANGUAGES.join('|')}> --file <path.md>
                                   publishes a Markdown text: a translation when the newest
                                   version has none in that language, else a new version`

/** A mistake in the command line itself (the CLI prints it with the usage). */
export class PublishUsageError extends Error {
  override name = 'PublishUsageError'
}

export interface PublishFromFile {
  kind: string
  language: string
  /** A path to a UTF-8 Markdown file. */
  file: string
}

/** What publishing needs: the service itself, or a client of the running server's admin route. */
export type Publisher = Pick<DocumentsService, 'publish'>

/** The options after `policy publish`. */
export function parsePublishArgs(args: readonly string[]): PublishFromFile {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { kind: { type: 'string' }, lang: { type: 'string' }, file: { type: 'string' } },
  })
  if (positionals.length > 0) throw new PublishUsageError(`policy publish takes options only, not "${positionals.join(' ')}"`)
  const missing = (['kind', 'lang', 'file'] as const).filter((name) => !values[name])
  if (missing.length > 0) throw new PublishUsageError(`policy publish needs ${missing.map((name) => `--${name}`).join(', ')}`)
  return { kind: values.kind!, language: values.lang!, file: values.file! }
}

/**
 * Reads `file` and publishes it. With a DocumentsService (the CLI on the databases, no server
 * running), the shipped version 1 is published first when missing, so a text published before the
 * server's first start becomes version 2 on top of it, not version 1 in its place.
 */
export async function publishFromFile(service: Publisher, { kind, language, file }: PublishFromFile, operator?: OperatorDetails): Promise<PublishedDocument> {
  const text = await readText(file)
  if (service instanceof DocumentsService) await seedDocuments(service, operator)
  return service.publish({ kind, language, text } satisfies PublishInput)
}

async function readText(file: string): Promise<string> {
  let size: number
  try {
    const info = await stat(file)
    if (!info.isFile()) throw badRequest(`${file} is not a file`, 'file')
    size = info.size
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw badRequest(`there is no file ${file}`, 'file')
    throw error
  }
  // Checked before reading, so a wrong path to a large file fails at once.
  if (size > MAX_DOCUMENT_BYTES + 4096) {
    throw badRequest(`${file} is ${Math.ceil(size / 1024)} KB; the limit is ${MAX_DOCUMENT_BYTES / 1024} KB`, 'file')
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(await readFile(file))
  } catch (error) {
    if (error instanceof TypeError) throw badRequest(`${file} is not UTF-8 text`, 'file')
    throw error
  }
}

/** One line for the operator: what was published and what it means for registered people. */
export function describePublished(result: PublishedDocument): string {
  const name = result.kind === 'privacy' ? 'privacy policy' : 'terms'
  const path = result.kind === 'privacy' ? '/policy' : '/terms'
  return result.newVersion
    ? `published version ${result.version} of the ${name} (${result.language}) at ${path}; registered people will be asked to accept it at their next login`
    : `added the ${result.language} text to version ${result.version} of the ${name} at ${path} (a translation: nobody is asked to accept again)`
}
