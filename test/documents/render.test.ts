// Rendering documents without a database: Markdown to safe HTML, diffs to escaped HTML, and the
// visitor's language from ?lang= and Accept-Language.
import { describe, expect, it } from 'vitest'
import { escapeHtml, renderDiff, renderMarkdown } from '../../server/documents/render.ts'
import { visitorLanguage } from '../../server/documents/routes.ts'
import { diffTexts } from '../../server/documents/service.ts'

describe('renderMarkdown', () => {
  it('renders Markdown: headings, lists, emphasis, tables, links', () => {
    const html = renderMarkdown('## Data\n\n- **name**\n- *email*\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[policy](/policy)\n')
    expect(html).toContain('<h2>Data</h2>')
    expect(html).toContain('<li><strong>name</strong></li>')
    expect(html).toContain('<td>1</td>')
    expect(html).toContain('<a href="/policy" rel="noopener">policy</a>')
  })

  it.each([
    ['a script element', '<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['an event handler', '<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['a raw link', '<a href="javascript:alert(1)">x</a>', '&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;'],
    ['an HTML block', '<div>\n<iframe src="//evil"></iframe>\n</div>', '&lt;iframe'],
    ['a comment', '<!-- <script>x</script> -->', '&lt;!--'],
  ])('passes %s through as text', (_what, markdown, escaped) => {
    const html = renderMarkdown(markdown)
    expect(html).toContain(escaped)
    expect(html).not.toMatch(/<(script|img|iframe|div|a\s)|<!--/i)
  })

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    '&#106;avascript:alert(1)',
    '&#x6A;avascript:alert(1)',
    'java&#x09;script:alert(1)',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'ftp://example.com/',
    'tel:+123',
  ])('refuses a link to %s', (target) => {
    for (const markdown of [`[x](${target})`, `<${target}>`, `[x]: ${target}\n\n[x]`]) {
      const html = renderMarkdown(markdown)
      expect(html, markdown).not.toMatch(/<a /)
    }
  })

  it.each([
    ['https://example.com/a?b=c', 'https://example.com/a?b=c'],
    ['http://example.com/', 'http://example.com/'],
    ['mailto:dpo@example.com', 'mailto:dpo@example.com'],
    ['/terms', '/terms'],
    ['#rights', '#rights'],
  ])('keeps a link to %s, marked noopener', (target, href) => {
    expect(renderMarkdown(`[x](${target})`)).toContain(`<a href="${href}" rel="noopener">x</a>`)
  })

  it('links bare addresses and emails, with the same rules', () => {
    const html = renderMarkdown('Write to dpo@example.com or see https://example.com/privacy.')
    expect(html).toContain('<a href="mailto:dpo@example.com" rel="noopener">dpo@example.com</a>')
    expect(html).toContain('<a href="https://example.com/privacy" rel="noopener">https://example.com/privacy</a>')
  })

  it('renders no images: nothing on a policy page loads from elsewhere', () => {
    const html = renderMarkdown('![pixel](https://tracker.example/p.gif)')
    expect(html).not.toMatch(/<img/i)
  })
})

describe('renderDiff', () => {
  it('marks insertions and deletions and escapes every piece', () => {
    const parts = diffTexts(
      'Keep <b>this</b> & "that" in the text that everyone reads.\n',
      'Keep <script>alert(1)</script> & "that" in the text that everyone reads.\n',
    )
    const html = renderDiff(parts)
    expect(html).not.toMatch(/<(script|b)>/)
    expect(html).toContain('Keep &lt;<del>b&gt;this&lt;/b</del><ins>script&gt;alert(1)&lt;/script</ins>&gt; &amp;')
    expect(html).toContain('&amp; &quot;that&quot; in the text')
  })

  it('joins a change spread over neighbouring words', () => {
    expect(renderDiff(diffTexts('We keep visits for two years.\n', 'We keep visits for one year.\n'))).toBe(
      'We keep visits for <del>two years</del><ins>one year</ins>.\n',
    )
  })

  it('compares Russian word by word, not letter by letter', () => {
    expect(renderDiff(diffTexts('- Статистику посещений (два года, если сайт не выбрал другой срок)\n', '- Статистику посещений (один год, если сайт не выбрал другой срок)\n'))).toBe(
      '- Статистику посещений (<del>два года</del><ins>один год</ins>, если сайт не выбрал другой срок)\n',
    )
  })

  it('folds long unchanged stretches down to the lines around a change', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `Line ${i + 1}.`)
    const after = [...lines]
    after[19] = 'Line twenty, rewritten in the new version.'
    const html = renderDiff(diffTexts(`${lines.join('\n')}\n`, `${after.join('\n')}\n`), (n) => `[${n} unchanged lines]`)
    expect(html).toBe(
      '<span class="folded">[17 unchanged lines]</span>Line 18.\nLine 19.\n<del>Line 20.\n</del><ins>Line twenty, rewritten in the new version.\n</ins>' +
        'Line 21.\nLine 22.\n<span class="folded">[18 unchanged lines]</span>',
    )
  })

  it('shows a rewritten paragraph whole, old then new', () => {
    expect(renderDiff(diffTexts('Same.\n\nAn old sentence here.\n', 'Same.\n\nCompletely new words instead.\n'))).toBe(
      'Same.\n\n<del>An old sentence here.\n</del><ins>Completely new words instead.\n</ins>',
    )
  })

  it('escapes quotes and ampersands in attributes too', () => {
    expect(escapeHtml(`"'<>&`)).toBe('&quot;&#39;&lt;&gt;&amp;')
  })
})

describe('visitorLanguage', () => {
  it.each([
    [undefined, undefined, 'en'],
    ['ru', undefined, 'ru'],
    ['RU', 'en', 'ru'],
    ['de', 'ru', 'ru'],
    [['ru', 'en'], 'en', 'en'],
    [undefined, 'ru-RU,ru;q=0.9,en;q=0.8', 'ru'],
    [undefined, 'en-GB, ru;q=0.9', 'en'],
    [undefined, 'ru;q=0.3, en;q=0.7', 'en'],
    [undefined, 'fr-CH, fr;q=0.9, de;q=0.8, ru;q=0.1', 'ru'],
    [undefined, 'ru;q=0, fr', 'en'],
    [undefined, '*', 'en'],
    [undefined, ';;;,,,q=', 'en'],
  ])('?lang=%j with Accept-Language %j is %s', (lang, header, expected) => {
    expect(visitorLanguage(lang, header)).toBe(expected)
  })
})
