// The public pages of the privacy policy and the terms: one version, the diff between two, and
// errors, with their chrome in English and Russian. Every value that reaches the HTML goes through
// escapeHtml, except the Markdown renderer's and the diff renderer's output, which escape their own.
// The style is inline, allowed by its hash in the page's Content-Security-Policy (no scripts, no
// other origins); a site-wide CSP may later want it as a stylesheet served by the server instead.
import { createHash } from 'node:crypto'
import { escapeHtml, renderDiff } from './render.ts'
import type { DocumentDiff, DocumentKind, DocumentLanguage, DocumentText, VersionSummary } from './service.ts'

export const DOCUMENT_PATHS: Record<DocumentKind, string> = { privacy: '/policy', terms: '/terms' }

type Dates = (iso: string) => string

interface Chrome {
  readonly titles: Record<DocumentKind, string>
  /** Language names as they appear in lists ("English, Russian"). */
  readonly languageNames: Record<DocumentLanguage, string>
  version(n: number): string
  inEffectSince(date: string): string
  inEffectFromTo(from: string, to: string): string
  translationPublished(date: string): string
  missingLanguage(shown: DocumentLanguage): string
  earlierVersion(current: string): string
  readonly versions: string
  readonly inEffect: string
  readonly compare: string
  readonly compareFrom: string
  readonly compareTo: string
  readonly showChanges: string
  changesSince(n: number): string
  diffTitle(title: string): string
  diffIntro(from: string, to: string): string
  diffLanguage(shown: DocumentLanguage): string
  readonly added: string
  readonly removed: string
  readonly noChanges: string
  folded(lines: number): string
  readonly backToCurrent: string
  readonly notFound: string
  readonly badRequest: string
  readonly languageSwitch: string
}

/** "на английском языке": the prepositional case the Russian notes need. */
const IN_RUSSIAN: Record<DocumentLanguage, string> = { en: 'английском', ru: 'русском' }

const CHROME: Record<DocumentLanguage, Chrome> = {
  en: {
    titles: { privacy: 'Privacy policy', terms: 'Terms of use' },
    languageNames: { en: 'English', ru: 'Russian' },
    version: (n) => `Version ${n}`,
    inEffectSince: (date) => `in effect since ${date}`,
    inEffectFromTo: (from, to) => `in effect from ${from} to ${to}`,
    translationPublished: (date) => `This translation was published on ${date}.`,
    missingLanguage: (shown) => `This version is not available in English yet; the text below is in ${CHROME.en.languageNames[shown]}.`,
    earlierVersion: (current) => `This is an earlier version. The version in effect now is ${current}.`,
    versions: 'All versions',
    inEffect: 'in effect',
    compare: 'Compare versions',
    compareFrom: 'From version',
    compareTo: 'to version',
    showChanges: 'Show changes',
    changesSince: (n) => `What changed since version ${n}`,
    diffTitle: (title) => `${title}: changes`,
    diffIntro: (from, to) => `What changed from version ${from} to version ${to}:`,
    diffLanguage: (shown) => `These versions are not both available in English; the comparison is of the ${CHROME.en.languageNames[shown]} texts.`,
    added: 'added',
    removed: 'removed',
    noChanges: 'The two versions have the same text in this language.',
    folded: (lines) => `… ${lines} unchanged lines …`,
    backToCurrent: 'The version in effect',
    notFound: 'There is no such page or version.',
    badRequest: 'Something in this address is not right.',
    languageSwitch: 'Language',
  },
  ru: {
    titles: { privacy: 'Политика конфиденциальности', terms: 'Пользовательское соглашение' },
    languageNames: { en: 'английский', ru: 'русский' },
    version: (n) => `Версия ${n}`,
    inEffectSince: (date) => `действует с ${date}`,
    inEffectFromTo: (from, to) => `действовала с ${from} по ${to}`,
    translationPublished: (date) => `Перевод опубликован ${date}.`,
    missingLanguage: (shown) => `Эта версия пока не опубликована на русском языке, поэтому ниже приведён текст на ${IN_RUSSIAN[shown]} языке.`,
    earlierVersion: (current) => `Это одна из прежних версий. Сейчас действует ${current}.`,
    versions: 'Все версии',
    inEffect: 'действует',
    compare: 'Сравнить версии',
    compareFrom: 'Сравнить версию',
    compareTo: 'с версией',
    showChanges: 'Показать изменения',
    changesSince: (n) => `Что изменилось по сравнению с версией ${n}`,
    diffTitle: (title) => `${title}: изменения`,
    diffIntro: (from, to) => `Что изменилось при переходе от версии ${from} к версии ${to}:`,
    diffLanguage: (shown) => `Этих версий нет на русском языке, поэтому сравниваются тексты на ${IN_RUSSIAN[shown]} языке.`,
    added: 'добавлено',
    removed: 'удалено',
    noChanges: 'Тексты этих версий на этом языке совпадают.',
    folded: (lines) => `… строк без изменений: ${lines} …`,
    backToCurrent: 'Действующая версия',
    notFound: 'Такой страницы или версии нет.',
    badRequest: 'В адресе страницы ошибка.',
    languageSwitch: 'Язык',
  },
}

const DATE_FORMATS: Record<DocumentLanguage, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }),
  ru: new Intl.DateTimeFormat('ru-RU', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }),
}

/** A date as a <time> element, in the page's language (dates are UTC). */
const dateIn =
  (language: DocumentLanguage): Dates =>
  (iso) =>
    `<time datetime="${escapeHtml(iso)}">${escapeHtml(DATE_FORMATS[language].format(new Date(iso)))}</time>`

export function pageUrl(kind: DocumentKind, query: Record<string, string | number>): string {
  const search = new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)])).toString()
  return `${DOCUMENT_PATHS[kind]}${search ? `?${search}` : ''}`
}

export function diffUrl(kind: DocumentKind, from: number, to: number, language: DocumentLanguage): string {
  return `${DOCUMENT_PATHS[kind]}/diff?${new URLSearchParams({ from: String(from), to: String(to), lang: language })}`
}

const STYLE = `:root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#59636e;--line:#d1d9e0;--accent:#0a58ca;--note:#eef4ff;--ins:#d3f5dc;--del:#ffe1df}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--bg:#111418;--muted:#9aa4ae;--line:#323a44;--accent:#79b0ff;--note:#17233a;--ins:#133d20;--del:#4d1d1b}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:1.0625rem/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-text-size-adjust:100%}
header,main{max-width:46rem;margin:0 auto;padding:0 1.25rem}
header{display:flex;flex-wrap:wrap;gap:.25rem 1.5rem;justify-content:space-between;padding-top:.9rem;padding-bottom:.9rem;border-bottom:1px solid var(--line)}
header nav{display:flex;flex-wrap:wrap;gap:.1rem 1rem}
time{white-space:nowrap}
a{color:var(--accent)}
a[aria-current]{color:inherit;font-weight:600;text-decoration:none}
h1{font-size:1.85rem;line-height:1.25;margin:1.75rem 0 .35rem}
h2{font-size:1.3rem;line-height:1.3;margin:2rem 0 .5rem}
h3{font-size:1.1rem;margin:1.5rem 0 .4rem}
.meta{color:var(--muted);margin:0 0 1.25rem}
.note{background:var(--note);border-left:4px solid var(--accent);padding:.6rem .9rem;margin:1rem 0}
.document{overflow-wrap:break-word}
.document table{border-collapse:collapse;display:block;overflow-x:auto;margin:1rem 0}
.document th,.document td{border:1px solid var(--line);padding:.35rem .6rem;text-align:left;vertical-align:top}
.document code{font-size:.95em}
.versions{margin:3rem 0 2rem;padding-top:.5rem;border-top:1px solid var(--line)}
.versions ul{padding-left:1.25rem}
.versions small{color:var(--muted)}
form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
select,button{font:inherit;padding:.2rem .4rem}
.legend ins,.legend del{padding:0 .3rem}
.folded{display:block;margin:.6rem 0;padding:.15rem 0;border-block:1px dashed var(--line);color:var(--muted);text-align:center;font-style:italic}
.diff{white-space:pre-wrap;overflow-wrap:break-word;font:.95rem/1.55 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;border:1px solid var(--line);border-radius:6px;padding:1rem;margin:1rem 0 2rem}
ins{background:var(--ins);text-decoration:underline}
del{background:var(--del);text-decoration:line-through}
@media print{header,.versions,form{display:none}a{color:inherit}}`

/**
 * Nothing but the inline style may load or run: no scripts at all, no other origins; forms only
 * to this server. The style is named by its hash, so 'unsafe-inline' is never needed.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "base-uri 'none'",
].join('; ')

interface Layout {
  readonly language: DocumentLanguage
  readonly kind: DocumentKind
  readonly title: string
  /** This page's address in another language. */
  readonly translated: (language: DocumentLanguage) => string
  readonly body: string
}

function layout({ language, kind, title, translated, body }: Layout): string {
  const chrome = CHROME[language]
  const kinds = (Object.keys(DOCUMENT_PATHS) as DocumentKind[])
    .map((other) => {
      const current = other === kind ? ' aria-current="page"' : ''
      return `<a href="${escapeHtml(pageUrl(other, { lang: language }))}"${current}>${escapeHtml(chrome.titles[other])}</a>`
    })
    .join('')
  const languages = (['en', 'ru'] as const)
    .map((other) => {
      const current = other === language ? ' aria-current="true"' : ''
      const name = other === 'en' ? 'English' : 'Русский'
      return `<a href="${escapeHtml(translated(other))}" hreflang="${other}" lang="${other}"${current}>${name}</a>`
    })
    .join('')
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><nav>${kinds}</nav><nav aria-label="${escapeHtml(chrome.languageSwitch)}">${languages}</nav></header>
<main>
${body}
</main>
</body>
</html>
`
}

export interface DocumentPageModel {
  readonly uiLanguage: DocumentLanguage
  readonly document: DocumentText
  /** The rendered Markdown (already safe). */
  readonly html: string
  /** Every version of the kind, newest first. */
  readonly history: readonly VersionSummary[]
}

export function documentPage({ uiLanguage, document, html, history }: DocumentPageModel): string {
  const chrome = CHROME[uiLanguage]
  const date = dateIn(uiLanguage)
  const { kind, version } = document
  const current = history[0]!.version
  const next = [...history].reverse().find((entry) => entry.version > version)
  const effect = next
    ? chrome.inEffectFromTo(date(document.versionPublishedAt), date(next.publishedAt))
    : chrome.inEffectSince(date(document.versionPublishedAt))
  const notes: string[] = []
  if (version !== current) {
    const link = `<a href="${escapeHtml(pageUrl(kind, { lang: uiLanguage }))}">${escapeHtml(chrome.version(current).toLowerCase())}</a>`
    notes.push(chrome.earlierVersion(link))
  }
  if (document.language !== uiLanguage) notes.push(escapeHtml(chrome.missingLanguage(document.language)))
  const translatedLater = document.publishedAt.slice(0, 10) !== document.versionPublishedAt.slice(0, 10)
  const body = [
    `<h1>${escapeHtml(chrome.titles[kind])}</h1>`,
    `<p class="meta">${escapeHtml(chrome.version(version))} · ${effect}${translatedLater ? ` · ${chrome.translationPublished(date(document.publishedAt))}` : ''}</p>`,
    ...notes.map((note) => `<p class="note">${note}</p>`),
    `<article class="document" lang="${document.language}">\n${html}</article>`,
    versionsSection(uiLanguage, kind, version, history),
  ].join('\n')
  return layout({
    language: uiLanguage,
    kind,
    title: `${chrome.titles[kind]} — ${chrome.version(version)}`,
    translated: (language) => pageUrl(kind, version === current ? { lang: language } : { version, lang: language }),
    body,
  })
}

function versionsSection(language: DocumentLanguage, kind: DocumentKind, shown: number, history: readonly VersionSummary[]): string {
  const chrome = CHROME[language]
  const date = dateIn(language)
  const items = history.map((entry, index) => {
    const label = escapeHtml(chrome.version(entry.version))
    const link =
      entry.version === shown
        ? `<a href="${escapeHtml(pageUrl(kind, { version: entry.version, lang: language }))}" aria-current="page">${label}</a>`
        : `<a href="${escapeHtml(pageUrl(kind, { version: entry.version, lang: language }))}">${label}</a>`
    const languages = entry.languages.map((text) => chrome.languageNames[text.language]).join(', ')
    const status = index === 0 ? ` — ${escapeHtml(chrome.inEffect)}` : ''
    return `<li>${link}, ${date(entry.publishedAt)}${status} <small>(${escapeHtml(languages)})</small></li>`
  })
  const parts = [`<section class="versions">`, `<h2>${escapeHtml(chrome.versions)}</h2>`, `<ul>\n${items.join('\n')}\n</ul>`]
  if (history.length > 1) {
    const previous = history.find((entry) => entry.version < shown)
    if (previous) {
      parts.push(`<p><a href="${escapeHtml(diffUrl(kind, previous.version, shown, language))}">${escapeHtml(chrome.changesSince(previous.version))}</a></p>`)
    }
    parts.push(compareForm(language, kind, previous?.version ?? history[1]!.version, previous ? shown : history[0]!.version, history))
  }
  parts.push('</section>')
  return parts.join('\n')
}

function compareForm(language: DocumentLanguage, kind: DocumentKind, from: number, to: number, history: readonly VersionSummary[]): string {
  const chrome = CHROME[language]
  const options = (selected: number) =>
    history.map((entry) => `<option value="${entry.version}"${entry.version === selected ? ' selected' : ''}>${entry.version}</option>`).join('')
  return `<h2>${escapeHtml(chrome.compare)}</h2>
<form action="${escapeHtml(`${DOCUMENT_PATHS[kind]}/diff`)}" method="get">
<label>${escapeHtml(chrome.compareFrom)} <select name="from">${options(from)}</select></label>
<label>${escapeHtml(chrome.compareTo)} <select name="to">${options(to)}</select></label>
<input type="hidden" name="lang" value="${language}">
<button type="submit">${escapeHtml(chrome.showChanges)}</button>
</form>`
}

export interface DiffPageModel {
  readonly uiLanguage: DocumentLanguage
  readonly diff: DocumentDiff
  readonly history: readonly VersionSummary[]
}

export function diffPage({ uiLanguage, diff, history }: DiffPageModel): string {
  const chrome = CHROME[uiLanguage]
  const { kind, from, to } = diff
  const versionLink = (version: number) => `<a href="${escapeHtml(pageUrl(kind, { version, lang: uiLanguage }))}">${version}</a>`
  const changed = diff.parts.some((part) => part.change !== 'same')
  const body = [
    `<h1>${escapeHtml(chrome.diffTitle(chrome.titles[kind]))}</h1>`,
    diff.language !== uiLanguage ? `<p class="note">${escapeHtml(chrome.diffLanguage(diff.language))}</p>` : '',
    `<p>${chrome.diffIntro(versionLink(from), versionLink(to))}</p>`,
    changed
      ? `<p class="legend"><ins>${escapeHtml(chrome.added)}</ins> <del>${escapeHtml(chrome.removed)}</del></p>\n<div class="diff" lang="${diff.language}">${renderDiff(diff.parts, chrome.folded)}</div>`
      : `<p class="note">${escapeHtml(chrome.noChanges)}</p>`,
    `<p><a href="${escapeHtml(pageUrl(kind, { lang: uiLanguage }))}">${escapeHtml(chrome.backToCurrent)}</a></p>`,
    `<section class="versions">${compareForm(uiLanguage, kind, from, to, history)}</section>`,
  ]
    .filter(Boolean)
    .join('\n')
  return layout({
    language: uiLanguage,
    kind,
    title: `${chrome.diffTitle(chrome.titles[kind])} — ${from} → ${to}`,
    translated: (language) => diffUrl(kind, from, to, language),
    body,
  })
}

export function errorPage(language: DocumentLanguage, kind: DocumentKind, status: number, detail: string): string {
  const chrome = CHROME[language]
  const headline = status === 404 ? chrome.notFound : chrome.badRequest
  const body = [
    `<h1>${escapeHtml(headline)}</h1>`,
    `<p class="meta">${escapeHtml(detail)}</p>`,
    `<p><a href="${escapeHtml(pageUrl(kind, { lang: language }))}">${escapeHtml(chrome.titles[kind])}</a></p>`,
  ].join('\n')
  return layout({ language, kind, title: headline, translated: (other) => pageUrl(kind, { lang: other }), body })
}
