// The pages the links in Candor's mail open: confirm an address, choose a new password, confirm a
// new address, accept an invitation. Each shows a form (mail scanners that follow links must not
// use up a single-use token); submitting it does the work. No scripts; a strict CSP; English and
// Russian.
import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { escape } from '../email/index.ts'

export type PageLanguage = 'en' | 'ru'

const STYLE = `:root{color-scheme:light dark;--line:#d0d0d7;--accent:#2f5bd3}
body{font:16px/1.55 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .3rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid var(--line);border-radius:6px}
button{margin-top:1rem;padding:.55rem 1.2rem;font:inherit;border:0;border-radius:6px;background:var(--accent);color:#fff;cursor:pointer}
button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.error{color:#b3261e}.done{color:#1b7a3a}`

/** Nothing runs; only the inline style (by its hash) loads; forms post to this server only. */
export const ACCOUNT_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

export const TEXT = {
  en: {
    verifyTitle: 'Confirm your email address',
    verifyButton: 'Confirm my address',
    verified: 'Your email address is confirmed. You can close this page.',
    resetTitle: 'Choose a new password',
    newPassword: 'New password (at least 10 characters)',
    repeatPassword: 'The same password again',
    resetButton: 'Set the new password',
    mismatch: 'The two passwords differ.',
    reset: 'Your password is changed, and every session of your account has ended. Sign in with the new password.',
    changeTitle: 'Confirm your new email address',
    changeButton: 'Confirm the new address',
    changed: 'Your new email address is confirmed. Sign in again with it.',
    inviteTitle: 'Accept the invitation',
    inviteButton: 'Accept',
    invited: (site: string, role: string) => `You are now on the staff of ${site} (${role}).`,
    signInFirst: (email: string) => `Sign in to Candor with ${email || 'the invited address'} first, then open the link from the mail again.`,
    missingToken: 'The link is incomplete. Open it again from the mail, or ask for a new one.',
  },
  ru: {
    verifyTitle: 'Подтвердите адрес электронной почты',
    verifyButton: 'Подтвердить адрес',
    verified: 'Адрес электронной почты подтверждён. Эту страницу можно закрыть.',
    resetTitle: 'Новый пароль',
    newPassword: 'Новый пароль (не короче 10 символов)',
    repeatPassword: 'Тот же пароль ещё раз',
    resetButton: 'Сохранить пароль',
    mismatch: 'Пароли не совпадают.',
    reset: 'Пароль изменён, все сеансы вашей учётной записи завершены. Войдите с новым паролем.',
    changeTitle: 'Подтвердите новый адрес электронной почты',
    changeButton: 'Подтвердить новый адрес',
    changed: 'Новый адрес подтверждён. Войдите снова, используя его.',
    inviteTitle: 'Принять приглашение',
    inviteButton: 'Принять',
    invited: (site: string, role: string) => `Теперь вы в команде сайта ${site} (${role === 'manager' ? 'управляющий' : 'наблюдатель'}).`,
    signInFirst: (email: string) => `Сначала войдите в Candor с адресом ${email || 'из приглашения'}, затем снова откройте ссылку из письма.`,
    missingToken: 'Ссылка неполная. Откройте её из письма ещё раз или запросите новую.',
  },
} as const

/** The language of a page: ?lang=, then Accept-Language, then English. */
export function pageLanguage(request: FastifyRequest): PageLanguage {
  const asked = (request.query as { lang?: string }).lang ?? (request.body as { lang?: string } | undefined)?.lang
  if (asked === 'en' || asked === 'ru') return asked
  const accepted = request.headers['accept-language'] ?? ''
  const ranked = accepted
    .split(',')
    .map((part) => {
      const [tag = '', quality] = part.trim().split(';q=')
      return { tag: tag.toLowerCase(), q: quality === undefined ? 1 : Number(quality) }
    })
    .sort((a, b) => b.q - a.q)
  const first = ranked.find((entry) => entry.tag.startsWith('ru') || entry.tag.startsWith('en'))
  return first?.tag.startsWith('ru') ? 'ru' : 'en'
}

export interface Field {
  readonly name: string
  readonly type: 'hidden' | 'password'
  readonly value?: string
  readonly label?: string
  readonly autocomplete?: string
}

export interface PageModel {
  readonly language: PageLanguage
  readonly title: string
  /** A sentence to show above the form (a result, or an error when `error` is set). */
  readonly message?: string
  readonly error?: boolean
  readonly form?: { readonly action: string; readonly fields: readonly Field[]; readonly button: string }
}

export function accountPage({ language, title, message, error, form }: PageModel): string {
  const note = message ? `<p class="${error ? 'error' : 'done'}" role="${error ? 'alert' : 'status'}">${escape(message)}</p>` : ''
  const fields = form
    ? form.fields
        .map((field) => {
          const input = `<input type="${field.type}" name="${field.name}" id="${field.name}"${field.value !== undefined ? ` value="${escape(field.value)}"` : ''}${field.autocomplete ? ` autocomplete="${field.autocomplete}"` : ''}${field.type === 'password' ? ' required minlength="10" maxlength="256"' : ''}>`
          return field.label ? `<label for="${field.name}">${escape(field.label)}</label>${input}` : input
        })
        .join('\n')
    : ''
  const body = form
    ? `<form method="post" action="${escape(form.action)}">\n<input type="hidden" name="lang" value="${language}">\n${fields}\n<button type="submit">${escape(form.button)}</button>\n</form>`
    : ''
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${escape(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escape(title)}</h1>
${note}
${body}
</main>
</body>
</html>
`
}

/** Sends a page with the headers every account page carries (tokens in the URL stay out of caches and referrers). */
export function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .status(status)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', ACCOUNT_PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .send(html)
}
