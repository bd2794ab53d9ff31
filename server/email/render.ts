// Plain transactional mail: a few paragraphs and one link, as text and as HTML.
import type { OutgoingMail } from './mailer.ts'

/** Text for HTML (mail bodies and Candor's own small pages): the five special characters as numeric references. */
export const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export function linkMail(to: string, subject: string, paragraphs: readonly string[], link: { url: string; label: string }): OutgoingMail {
  const text = `${paragraphs.join('\n\n')}\n\n${link.label}: ${link.url}\n`
  const html =
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">' +
    paragraphs.map((paragraph) => `<p>${escape(paragraph)}</p>`).join('') +
    `<p><a href="${escape(link.url)}">${escape(link.label)}</a></p></body></html>`
  return { to, subject, text, html }
}
