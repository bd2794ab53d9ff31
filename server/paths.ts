// Where the project's own files are, wherever the process was started from.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..')
/** Build output: browser bundles (dist/tracker, …) and the ASN database (dist/geo). */
export const distDir = join(projectRoot, 'dist')
