// Documents to HTML, safely: Markdown through markdown-it with raw HTML off, links only to http,
// https, mailto or this site, no images (nothing on the page loads from elsewhere), and diffs with
// every piece of document text escaped.
import MarkdownIt from 'markdown-it'
import type { DiffPart, DocumentText } from './service.ts'

const markdown = new MarkdownIt('default', { html: false, linkify: true, typographer: false })
// An image would load from wherever its author pointed; a policy page makes no third-party requests.
markdown.disable('image')

const SAFE_SCHEMES = new Set(['http:', 'https:', 'mailto:'])

/**
 * markdown-it asks this of every link (written, autolinked or linkified), with character
 * references already decoded. A link with a scheme must use a safe one; one without (a path or
 * #fragment on this site) is safe as it is.
 */
markdown.validateLink = (url: string) => {
  // Browsers would not read "java%09script:" as a scheme, but nothing is lost by refusing it too.
  const bare = decodePercent(url).replace(/[\u0000-\u0020\u007f-\u009f]/g, '')
  const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(bare)
  return scheme ? SAFE_SCHEMES.has(scheme[1]!.toLowerCase()) : true
}

function decodePercent(url: string): string {
  try {
    return decodeURIComponent(url)
  } catch {
    return url
  }
}

markdown.renderer.rules.link_open = (tokens, index, options, _env, self) => {
  tokens[index]!.attrSet('rel', 'noopener')
  return self.renderToken(tokens, index, options)
}

export function renderMarkdown(text: string): string {
  return markdown.render(text)
}

/** Published texts never change, so their HTML is kept (bounded, oldest out). */
const rendered = new Map<string, string>()

export function renderDocument(document: DocumentText): string {
  const key = `${document.kind}:${document.version}:${document.language}`
  const cached = rendered.get(key)
  if (cached !== undefined) return cached
  const html = renderMarkdown(document.text)
  if (rendered.size >= 32) rendered.delete(rendered.keys().next().value!)
  rendered.set(key, html)
  return html
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (char) => ESCAPES[char]!)
}

/** Lines of unchanged text kept on each side of a change when the rest is folded away. */
const CONTEXT_LINES = 2

/**
 * The Markdown source with insertions in <ins> and deletions in <del>, all text escaped. With
 * `folded`, long unchanged stretches are cut down to the lines around the changes and a marker
 * saying how many lines were left out (`folded(n)` is its text, already in the page's language).
 */
export function renderDiff(parts: readonly DiffPart[], folded?: (lines: number) => string): string {
  return parts
    .map((part, index) => {
      const text = escapeHtml(part.text)
      if (part.change === 'added') return `<ins>${text}</ins>`
      if (part.change === 'removed') return `<del>${text}</del>`
      if (!folded) return text
      const previous = parts[index - 1]
      return fold(part.text, previous ? (previous.text.endsWith('\n') ? 'line' : 'partial') : 'none', index < parts.length - 1, folded)
    })
    .join('')
}

/** `before`: no change before this text, one that ended its line, or one that ended mid-line. */
function fold(text: string, before: 'none' | 'line' | 'partial', changeAfter: boolean, folded: (lines: number) => string): string {
  const lines = text.split('\n')
  // After a change that ended mid-line, the first piece is the rest of that line; the last piece
  // is the start of the line the next change is on (empty when that change starts the line).
  const head = before === 'none' ? 0 : before === 'line' ? CONTEXT_LINES : CONTEXT_LINES + 1
  const tail = changeAfter ? CONTEXT_LINES + 1 : 0
  // At the very end, the empty piece after the last line break is no line.
  const hidden = lines.length - head - tail - (tail === 0 && text.endsWith('\n') ? 1 : 0)
  if (hidden < 3) return escapeHtml(text)
  const kept = head > 0 ? `${lines.slice(0, head).join('\n')}\n` : ''
  const resumed = tail > 0 ? lines.slice(lines.length - tail).join('\n') : ''
  return `${escapeHtml(kept)}<span class="folded">${escapeHtml(folded(hidden))}</span>${escapeHtml(resumed)}`
}
