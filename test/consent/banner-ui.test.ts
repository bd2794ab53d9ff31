/**
 * The banner's two layers as people use them, in real Chromium against a real Candor server: an
 * axe-core scan of each layer, a keyboard-only walk through both, a page under a strict
 * Content-Security-Policy, the language (page, then browser), a site's own category and texts,
 * and a right-to-left language.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { BrowserContextOptions } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { DEFAULT_CATEGORIES } from '../../server/consent/defaults.ts'
import { type BannerSite, EN, RU, TITLES, Visitor, startBannerSite } from './banner-site.ts'

const POLICY_URL = 'https://shop.test/privacy'
const AR = {
  acceptAll: 'قبول الكل',
  rejectAll: 'رفض الكل',
  preferences: 'التفضيلات',
  title: 'خيارات الخصوصية',
  description: '<b>نص</b> عادي',
}

let site: BannerSite
let visitor: Visitor
let axeSource: string

beforeAll(async () => {
  site = await startBannerSite()
  // a category of the site's own, a policy link, and texts in a language written right to left
  await site.configure({
    policyUrl: POLICY_URL,
    categories: [
      ...DEFAULT_CATEGORIES.map(({ id, consentMode, services }) => ({ id, consentMode, services })),
      { id: 'support', consentMode: ['functionality_storage'], services: [{ id: 'chat', name: 'Support chat', cookies: ['chat_sid'] }] },
    ],
    texts: {
      en: { categories: { support: { title: 'Support', description: 'A chat with our support team.' } } },
      ar: AR,
    },
  })
  axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
})
afterAll(() => site?.close())
afterEach(() => visitor?.close())

async function visit(options: BrowserContextOptions = {}): Promise<Visitor> {
  visitor = await Visitor.start(site, options)
  return visitor
}

interface AxeViolation {
  id: string
  help: string
  nodes: Array<{ target: string[] }>
}

/** Runs axe-core's full rule set on the page; returns the violations, readable. */
async function axeViolations(): Promise<string[]> {
  await visitor.page.addScriptTag({ content: axeSource })
  const violations = await visitor.page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: AxeViolation[] }> } }).axe
    return (await axe.run(document)).violations
  })
  return violations.map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`)
}

/** What has the focus: its role-ish tag and accessible text. */
function focused(): Promise<string> {
  return visitor.page.evaluate(() => {
    const element = document.activeElement as HTMLElement
    const label = element.getAttribute('aria-label') ?? (element instanceof HTMLInputElement ? element.labels?.[0]?.textContent : element.textContent)
    return `${element.tagName.toLowerCase()}:${(label ?? '').trim().slice(0, 40)}`
  })
}

const insideBanner = () => visitor.page.evaluate(() => !!document.activeElement?.closest('#candor-consent'))

describe('accessibility', () => {
  test('axe-core finds no violation in the first layer or in the preferences layer', async () => {
    const v = await visit()
    await v.open()
    await expect.poll(() => v.firstLayer().isVisible()).toBe(true)
    expect(await axeViolations()).toEqual([])

    await v.firstLayer().getByRole('button', { name: EN.preferences }).click()
    await expect.poll(() => v.preferences().isVisible()).toBe(true)
    // the services are part of the layer: scan them open too
    for (const summary of await v.preferences().locator('summary').all()) await summary.click()
    expect(await axeViolations()).toEqual([])
    expect(await v.preferences().getAttribute('aria-modal')).toBe('true')
  })

  test('a keyboard alone reaches, walks and leaves both layers, with the focus visible and kept inside the dialog', async () => {
    const v = await visit()
    const { page } = v
    await v.open()
    await expect.poll(() => v.firstLayer().isVisible()).toBe(true)

    // the banner is the first thing Tab reaches
    const firstLayer: string[] = []
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab')
      firstLayer.push(await focused())
    }
    expect(firstLayer).toEqual([`a:${EN.policy}`, `button:${EN.acceptAll}`, `button:${EN.rejectAll}`, `button:${EN.preferences}`])
    const outline = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement!)
      return [style.outlineStyle, style.outlineWidth]
    })
    expect(outline).toEqual(['solid', '3px'])

    await page.keyboard.press('Enter')
    await expect.poll(() => v.preferences().isVisible()).toBe(true)
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('dialog')
    // once round the dialog and back to its start: the necessary box (disabled) is skipped,
    // the download button is absent before a decision
    const round = [
      `button:${EN.close}`,
      'summary:Services (1)',
      `input:${TITLES.analytics}`,
      'summary:Services (3)',
      `input:${TITLES.marketing}`,
      'input:Support',
      'summary:Services (1)',
      `button:${EN.acceptAll}`,
      `button:${EN.rejectAll}`,
      `button:${EN.save}`,
      `a:${EN.policy}`,
    ]
    const walked: string[] = []
    for (let i = 0; i < round.length + 1; i++) {
      await page.keyboard.press('Tab')
      walked.push(await focused())
    }
    expect(walked).toEqual([...round, round[0]])
    await page.keyboard.press('Shift+Tab')
    expect(await focused()).toBe(`a:${EN.policy}`)
    expect(await insideBanner()).toBe(true)

    // Escape closes it: back to the first layer, on the button that opened it
    await page.keyboard.press('Escape')
    await expect.poll(() => v.preferences().isVisible()).toBe(false)
    expect(await v.firstLayer().isVisible()).toBe(true)
    expect(await focused()).toBe(`button:${EN.preferences}`)

    // choose analytics only, by keyboard
    await page.keyboard.press('Enter')
    await expect.poll(() => v.preferences().isVisible()).toBe(true)
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab')
    expect(await focused()).toBe(`input:${TITLES.analytics}`)
    await page.keyboard.press('Space')
    for (let i = 0; i < 7; i++) await page.keyboard.press('Tab')
    expect(await focused()).toBe(`button:${EN.save}`)
    await page.keyboard.press('Enter')
    const stored = await v.decided()
    expect(stored.categories).toEqual(['necessary', 'analytics'])
    expect((await site.history(stored)).records).toMatchObject([{ method: 'custom', granted: ['necessary', 'analytics'] }])
    await expect.poll(() => v.preferences().isVisible()).toBe(false)

    // reopen from the page's link by keyboard, withdraw, and the focus returns to the link
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    for (let i = 0; i < 10 && (await focused()) !== 'a:Cookie settings'; i++) await page.keyboard.press('Tab')
    expect(await focused()).toBe('a:Cookie settings')
    await page.keyboard.press('Enter')
    await expect.poll(() => v.preferences().isVisible()).toBe(true)
    expect(await v.preferences().getByRole('checkbox', { name: TITLES.analytics }).isChecked()).toBe(true)
    for (let i = 0; i < 9; i++) await page.keyboard.press('Tab')
    expect(await focused()).toBe(`button:${EN.rejectAll}`)
    await page.keyboard.press('Enter')
    await v.decided((consent) => consent.categories.length === 1)
    await expect.poll(() => v.preferences().isVisible()).toBe(false)
    expect(await focused()).toBe('a:Cookie settings')
    expect((await site.history(stored)).records.map((record) => record.method)).toEqual(['custom', 'withdraw'])
  })
})

describe('a strict Content-Security-Policy', () => {
  test('styles load through the nonce, blocked scripts run with it, and nothing is refused', async () => {
    const v = await visit()
    const refused: string[] = []
    v.page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) refused.push(message.text())
    })
    await v.open('/csp.html')
    await expect.poll(() => v.firstLayer().isVisible()).toBe(true)
    // styled by consent.css: placed over the page, not in its flow
    expect(await v.firstLayer().evaluate((element) => getComputedStyle(element).position)).toBe('fixed')
    await v.firstLayer().getByRole('button', { name: EN.preferences }).click()
    await expect.poll(() => v.preferences().isVisible()).toBe(true)
    await v.preferences().getByRole('button', { name: EN.acceptAll }).click()
    await v.page.waitForFunction(() => ((window as { ran?: string[] }).ran ?? []).includes('metrica'))
    expect(await v.ran()).toEqual(['necessary', 'google-analytics', 'metrica'])
    expect(await v.page.evaluate(() => (window as unknown as { violations: string[] }).violations)).toEqual([])
    expect(refused).toEqual([])
    await v.decided()
  })
})

describe('languages', () => {
  test('the page’s <html lang> comes first', async () => {
    const v = await visit({ locale: 'en-US' })
    await v.open('/ru.html')
    const region = v.page.getByRole('region', { name: RU.title })
    await expect.poll(() => region.isVisible()).toBe(true)
    expect(await region.getByRole('button').allTextContents()).toEqual([RU.acceptAll, RU.rejectAll, RU.preferences])
    expect(await v.page.locator('#candor-consent').getAttribute('lang')).toBe('ru')
    await region.getByRole('button', { name: RU.rejectAll }).click()
    expect((await site.history(await v.decided())).records).toMatchObject([{ method: 'reject_all', language: 'ru' }])
  })

  test('without it, the browser’s language; English when the site has no texts in it', async () => {
    const russian = await visit({ locale: 'ru-RU' })
    await russian.open('/plain.html')
    await expect.poll(() => russian.page.getByRole('region', { name: RU.title }).isVisible()).toBe(true)
    await russian.close()

    const german = await visit({ locale: 'de-DE' })
    await german.open('/plain.html')
    await expect.poll(() => german.firstLayer().isVisible()).toBe(true)
  })

  test('a language of the site’s own, right to left: its texts (as text, never markup), mirrored layout', async () => {
    const v = await visit({ locale: 'ar' })
    await v.open('/ar.html')
    const region = v.page.getByRole('region', { name: AR.title })
    await expect.poll(() => region.isVisible()).toBe(true)
    expect(await v.page.locator('#candor-consent').getAttribute('dir')).toBe('rtl')
    expect(await region.getByRole('button').allTextContents()).toEqual([AR.acceptAll, AR.rejectAll, AR.preferences])
    expect(await region.locator('p').textContent()).toContain(AR.description)
    expect(await region.locator('b').count()).toBe(0)

    await region.getByRole('button', { name: AR.preferences }).click()
    const dialog = v.page.getByRole('dialog', { name: AR.preferences })
    await expect.poll(() => dialog.isVisible()).toBe(true)
    // right to left: the title starts at the right, the close button sits at the left
    const [title, close] = await Promise.all([dialog.locator('h2').boundingBox(), dialog.getByRole('button', { name: EN.close }).boundingBox()])
    expect(close!.x + close!.width).toBeLessThan(title!.x)
    // the button order runs right to left as well
    const [accept, reject] = await Promise.all([
      dialog.getByRole('button', { name: AR.acceptAll }).boundingBox(),
      dialog.getByRole('button', { name: AR.rejectAll }).boundingBox(),
    ])
    expect(accept!.x).toBeGreaterThan(reject!.x)
  })
})
