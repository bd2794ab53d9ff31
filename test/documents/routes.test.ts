// The documents' routes on the real app (app.inject): the public pages in English and Russian,
// versions and diffs, publishing through the operator route, the JSON API, and that nothing a
// published text holds reaches a page as live HTML.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let auth: Record<string, string>

beforeAll(async () => {
  t = await startTestApp()
  auth = { authorization: `Bearer ${t.operatorToken}` }
})
afterAll(() => t?.close())

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers })
const publish = (payload: unknown, headers = auth) =>
  t.app.inject({ method: 'POST', url: '/api/admin/documents', headers, payload: payload as object })
const count = async () => (await t.app.postgres.query<{ n: number }>('SELECT count(*)::int AS n FROM documents'))[0]!.n

/** The page must hold no live markup from a document: no script element, no handler attribute, no javascript: link. */
function expectInert(html: string) {
  expect(html).not.toMatch(/<script/i)
  expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i)
  expect(html).not.toMatch(/href\s*=\s*["']?\s*javascript:/i)
  expect(html).not.toMatch(/<img/i)
}

describe('a fresh installation', () => {
  it('has version 1 of the privacy policy and the terms, in English and Russian', async () => {
    for (const kind of ['privacy', 'terms']) {
      const response = await get(`/api/documents/${kind}`)
      expect(response.statusCode).toBe(200)
      const body = response.json()
      expect(body.kind).toBe(kind)
      expect(body.current).toMatchObject({ version: 1, languages: [{ language: 'en' }, { language: 'ru' }] })
      expect(body.versions).toHaveLength(1)
      expect(new Date(body.current.publishedAt).toISOString()).toBe(body.current.publishedAt)
    }
  })
})

describe('the pages', () => {
  it('show the policy in English by default, with the date it took effect', async () => {
    const response = await get('/policy')
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
    const html = response.body
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/)
    expect(html).toContain('<title>Privacy policy — Version 1</title>')
    expect(html).toContain('<h1>Privacy policy</h1>')
    const { publishedAt } = (await get('/api/documents/privacy')).json().current
    const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(publishedAt))
    expect(html).toContain(`in effect since <time datetime="${publishedAt}">${day}</time>`)
    expect(html).toContain('<h2>What is recorded when you visit</h2>')
    expect(html).toContain('<table>')
    expectInert(html)
  })

  it('show it in Russian from Accept-Language, with the date in Russian', async () => {
    const html = (await get('/policy', { 'accept-language': 'ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7' })).body
    expect(html).toContain('<html lang="ru">')
    expect(html).toContain('<h1>Политика конфиденциальности</h1>')
    expect(html).toMatch(/действует с <time datetime="[^"]+">\d{1,2} (января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря) \d{4} г\.<\/time>/)
    expect(html).toContain('<h2>Что записывается при посещении</h2>')
    expect(html).toContain('<article class="document" lang="ru">')
  })

  it('take the first language of Accept-Language they have, by quality', async () => {
    expect((await get('/terms', { 'accept-language': 'de-DE, ru;q=0.5, en;q=0.4' })).body).toContain('<h1>Пользовательское соглашение</h1>')
    expect((await get('/terms', { 'accept-language': 'ru;q=0.2, en;q=0.9' })).body).toContain('<h1>Terms of use</h1>')
    expect((await get('/terms', { 'accept-language': 'fr, de' })).body).toContain('<html lang="en">')
  })

  it('let ?lang= override Accept-Language, and ignore a language they do not have', async () => {
    expect((await get('/policy?lang=en', { 'accept-language': 'ru' })).body).toContain('<html lang="en">')
    expect((await get('/policy?lang=ru')).body).toContain('<html lang="ru">')
    expect((await get('/policy?lang=de', { 'accept-language': 'ru' })).body).toContain('<html lang="ru">')
  })

  it('link the other document and the other language', async () => {
    const html = (await get('/policy?lang=en')).body
    expect(html).toContain('<a href="/terms?lang=en">Terms of use</a>')
    expect(html).toContain('<a href="/policy?lang=ru" hreflang="ru" lang="ru">Русский</a>')
  })

  it('forbid scripts and other origins, allowing only their own style by its hash', async () => {
    const response = await get('/policy')
    const csp = String(response.headers['content-security-policy'])
    expect(csp).toContain("default-src 'none'")
    expect(csp).not.toContain('unsafe-inline')
    const style = /<style>([\s\S]*?)<\/style>/.exec(response.body)![1]!
    expect(csp).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`)
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.body).not.toMatch(/(src|href)="(https?:)?\/\//)
  })

  it('answer an unknown version with a 404 page and a bad one with a 400 page, in the visitor’s language', async () => {
    const missing = await get('/policy?version=99&lang=ru')
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(missing.body).toContain('Такой страницы или версии нет.')
    const bad = await get('/terms?version=abc')
    expect(bad.statusCode).toBe(400)
    expect(bad.body).toContain('<html lang="en">')
    expect((await get('/terms/diff?from=1')).statusCode).toBe(400)
    expect((await get('/terms/diff?from=1&to=42')).statusCode).toBe(404)
  })
})

describe('publishing through the API', () => {
  it('needs the operator token', async () => {
    const payload = { kind: 'privacy', language: 'en', text: 'no token' }
    for (const headers of [{}, { authorization: 'Bearer wrong' }] as Array<Record<string, string>>) {
      const response = await publish(payload, headers)
      expect(response.statusCode).toBe(401)
      expect(response.json()).toMatchObject({ error: 'unauthorized' })
    }
    expect(await count()).toBe(4)
  })

  it.each([
    ['an unknown kind', { kind: 'cookies', language: 'en', text: 'x' }, 'kind'],
    ['an unknown language', { kind: 'privacy', language: 'de', text: 'x' }, 'language'],
    ['no text', { kind: 'privacy', language: 'en' }, 'text'],
    ['an empty text', { kind: 'privacy', language: 'en', text: '   ' }, 'text'],
    ['a text that is not a string', { kind: 'privacy', language: 'en', text: 42 }, 'text'],
    ['a text over 200 KB', { kind: 'privacy', language: 'ru', text: 'ж'.repeat(110_000) }, 'text'],
    ['an unknown field', { kind: 'privacy', language: 'en', text: 'x', version: 7 }, 'version'],
  ])('refuses %s with 400 naming the field', async (_what, payload, field) => {
    const response = await publish(payload)
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ error: 'invalid_request', field })
    expect(await count()).toBe(4)
  })

  it('takes a 200 KB text even when its JSON is far larger', async () => {
    const text = 'я'.repeat(100 * 1024 - 1)
    const payload = JSON.stringify({ kind: 'terms', language: 'ru', text }).replace(/я/g, '\\u044f')
    expect(payload.length).toBeGreaterThan(600_000)
    const response = await t.app.inject({ method: 'POST', url: '/api/admin/documents', headers: { ...auth, 'content-type': 'application/json' }, payload })
    expect(response.statusCode).toBe(201)
    expect(response.json()).toMatchObject({ kind: 'terms', version: 2, language: 'ru', newVersion: true })
  })

  it('publishes a new version (201) and refuses the same text again (409)', async () => {
    const text = '## What we collect\n\nWe collect your name and email.\n\nWe keep visits for two years.\n'
    const response = await publish({ kind: 'privacy', language: 'en', text })
    expect(response.statusCode).toBe(201)
    const body = response.json()
    expect(body).toEqual({ kind: 'privacy', version: 2, language: 'en', publishedAt: expect.any(String), newVersion: true })
    const again = await publish({ kind: 'privacy', language: 'en', text })
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({ error: 'conflict', field: 'text' })
    expect(again.json().message).toMatch(/^nothing changed/)
  })
})

describe('versions on the pages', () => {
  it('show the new version, and list the earlier one with a link', async () => {
    const html = (await get('/policy?lang=en')).body
    expect(html).toContain('<title>Privacy policy — Version 2</title>')
    expect(html).toContain('We collect your name and email.')
    expect(html).not.toContain('What is recorded when you visit')
    expect(html).toContain('<a href="/policy?version=1&amp;lang=en">Version 1</a>')
    expect(html).toMatch(/<li><a href="\/policy\?version=2&amp;lang=en" aria-current="page">Version 2<\/a>, <time[^>]+>[^<]+<\/time> — in effect <small>\(English\)<\/small><\/li>/)
    expect(html).toContain('<a href="/policy/diff?from=1&amp;to=2&amp;lang=en">What changed since version 1</a>')
    expect(html).toContain('<form action="/policy/diff" method="get">')
  })

  it('show an earlier version with ?version=', async () => {
    const html = (await get('/policy?version=1&lang=en')).body
    expect(html).toContain('<h2>What is recorded when you visit</h2>')
    expect(html).toContain('This is an earlier version. The version in effect now is <a href="/policy?lang=en">version 2</a>.')
    expect(html).toMatch(/in effect from <time[^>]*>[^<]+<\/time> to <time[^>]*>[^<]+<\/time>/)
  })

  it('show the available text, with a note in the visitor’s language, when the version lacks theirs', async () => {
    const html = (await get('/policy', { 'accept-language': 'ru' })).body
    expect(html).toContain('<html lang="ru">')
    expect(html).toContain('Эта версия пока не опубликована на русском языке, поэтому ниже приведён текст на английском языке.')
    expect(html).toContain('<article class="document" lang="en">')
    expect(html).toContain('We collect your name and email.')
    expect((await get('/api/documents/privacy/2?lang=ru')).statusCode).toBe(404)
  })

  it('show the translation once it is added to the version', async () => {
    const response = await publish({ kind: 'privacy', language: 'ru', text: '## Что мы собираем\n\nМы собираем имя и адрес почты.\n' })
    expect(response.json()).toMatchObject({ version: 2, newVersion: false })
    const html = (await get('/policy?lang=ru')).body
    expect(html).toContain('Мы собираем имя и адрес почты.')
    expect(html).not.toContain('пока не опубликована')
    expect((await get('/api/documents/privacy')).json().current.languages.map((text: { language: string }) => text.language)).toEqual(['en', 'ru'])
  })

  it('show what changed between two versions, with insertions and deletions', async () => {
    await publish({ kind: 'privacy', language: 'en', text: '## What we collect\n\nWe collect your name and email.\n\nWe keep visits for one year.\n' })
    const response = await get('/policy/diff?from=2&to=3&lang=en')
    expect(response.statusCode).toBe(200)
    const html = response.body
    expect(html).toContain('<del>two years</del><ins>one year</ins>')
    expect(html).toContain('<div class="diff" lang="en">## What we collect\n\nWe collect your name and email.')
    expect(html).toContain('What changed from version <a href="/policy?version=2&amp;lang=en">2</a> to version <a href="/policy?version=3&amp;lang=en">3</a>:')
    expect(html).toContain('<option value="2" selected>2</option>')
  })

  it('compare in a language both versions have, saying so', async () => {
    const html = (await get('/policy/diff?from=2&to=3&lang=ru')).body
    expect(html).toContain('<html lang="ru">')
    expect(html).toContain('Этих версий нет на русском языке, поэтому сравниваются тексты на английском языке.')
    expect(html).toContain('<ins>one year</ins>')
  })

  it('say when two versions have the same text', async () => {
    expect((await get('/policy/diff?from=3&to=3')).body).toContain('The two versions have the same text in this language.')
  })
})

describe('what a published text cannot do', () => {
  const attack = [
    '## Hello',
    '',
    '<script>alert(1)</script>',
    '',
    '<img src=x onerror=alert(1)>',
    '',
    '[x](javascript:alert(1)) and [y](JAVASCRIPT:alert(2)) and [z](&#106;avascript:alert(3)) and <javascript:alert(4)>',
    '',
    '![pixel](https://tracker.example/p.gif) [data](data:text/html;base64,PHNjcmlwdD4=) [v](vbscript:msgbox)',
    '',
    '<a href="javascript:alert(5)">raw</a> "><svg onload=alert(6)> </textarea><iframe src=//evil>',
    '',
    '[safe](https://example.com/page) [mail](mailto:privacy@example.com) [here](/terms) https://www.example.org/x',
  ].join('\n')
  let version: number

  beforeAll(async () => {
    const response = await publish({ kind: 'terms', language: 'en', text: attack })
    expect(response.statusCode).toBe(201)
    version = response.json().version
  })

  it('reaches the page only as text', async () => {
    const html = (await get('/terms?lang=en')).body
    expectInert(html)
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(html).not.toMatch(/<(svg|iframe|textarea)/i)
    expect(html).not.toMatch(/href="(data|vbscript):/i)
    // No images: a picture would load from wherever its author pointed. Its address stays a link.
    expect(html).not.toMatch(/<[^>]*\ssrc=/i)
  })

  it('keeps safe links, marked noopener', async () => {
    const html = (await get('/terms?lang=en')).body
    expect(html).toContain('<a href="https://example.com/page" rel="noopener">safe</a>')
    expect(html).toContain('<a href="mailto:privacy@example.com" rel="noopener">mail</a>')
    expect(html).toContain('<a href="/terms" rel="noopener">here</a>')
    expect(html).toContain('<a href="https://www.example.org/x" rel="noopener">https://www.example.org/x</a>')
  })

  it('reaches the diff page only as text', async () => {
    const response = await get(`/terms/diff?from=1&to=${version}&lang=en`)
    expect(response.statusCode).toBe(200)
    expectInert(response.body)
    expect(response.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(response.body).not.toMatch(/<(svg|iframe|textarea)/i)
  })

  it('reaches the API’s HTML only as text (the Markdown itself is returned as it was published)', async () => {
    const body = (await get(`/api/documents/terms/${version}?lang=en`)).json()
    expect(body.text).toBe(`${attack}\n`)
    expectInert(body.html)
    expect(body.html).not.toMatch(/<(svg|iframe|textarea)/i)
  })
})

describe('the JSON API', () => {
  it('lists the versions of a kind, newest first, with their languages and dates', async () => {
    const body = (await get('/api/documents/privacy')).json()
    expect(body.current.version).toBe(3)
    expect(body.versions.map((entry: { version: number }) => entry.version)).toEqual([3, 2, 1])
    expect(body.versions[1]).toEqual({
      version: 2,
      publishedAt: expect.any(String),
      languages: [
        { language: 'en', publishedAt: body.versions[1].publishedAt },
        { language: 'ru', publishedAt: expect.any(String) },
      ],
    })
  })

  it('returns one version’s Markdown and HTML', async () => {
    const response = await get('/api/documents/privacy/1?lang=ru')
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(Object.keys(body).sort()).toEqual(['html', 'kind', 'language', 'publishedAt', 'text', 'version', 'versionPublishedAt'])
    expect(body).toMatchObject({ kind: 'privacy', version: 1, language: 'ru' })
    expect(body.text).toContain('## Что записывается при посещении')
    expect(body.html).toContain('<h2>Что записывается при посещении</h2>')
    expect((await get('/api/documents/privacy/1')).json().language).toBe('en')
  })

  it('404s an unknown kind or version, and a language the version lacks', async () => {
    for (const url of ['/api/documents/cookies', '/api/documents/cookies/1', '/api/documents/privacy/99', '/api/documents/terms/99?lang=en']) {
      const response = await get(url)
      expect(response.statusCode, url).toBe(404)
      expect(response.json()).toMatchObject({ error: 'not_found' })
    }
  })

  it('400s a bad language or version, naming the field', async () => {
    expect((await get('/api/documents/privacy/1?lang=de')).json()).toMatchObject({ error: 'invalid_request', field: 'lang' })
    expect((await get('/api/documents/privacy/0')).json()).toMatchObject({ error: 'invalid_request', field: 'version' })
    expect((await get('/api/documents/privacy/abc')).statusCode).toBe(400)
  })

  it('is in the OpenAPI document', async () => {
    const paths = (await get('/api/openapi.json')).json().paths
    for (const path of ['/policy', '/policy/diff', '/terms', '/terms/diff', '/api/documents/{kind}', '/api/documents/{kind}/{version}', '/api/admin/documents']) {
      expect(paths, path).toHaveProperty([path])
    }
    expect(Object.keys(paths['/policy'].get.responses['200'].content)).toEqual(['text/html'])
  })
})
