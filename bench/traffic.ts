// Synthetic but realistic tracker traffic for the ingest benchmark: a fixed population of visitors
// (an IP and a user agent each, so the server's daily hash turns their events into visits), and
// pools of pre-serialised event bodies. Everything is generated up front from a seeded PRNG; the
// per-request work (`Traffic.next`) is two array lookups and a small headers object, so the load
// generator, which shares the machine with the server, stays cheap.
import { isbot } from 'isbot'

export const SITE = 'bench.test'
const ORIGIN = `https://${SITE}`

// ---------------------------------------------------------------------------------------------
// Randomness

export type Random = () => number

/** mulberry32: small, fast, seeded. */
export function seeded(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const int = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1))

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!
}

/** Picks from [item, weight] pairs. */
function weighted<T>(random: Random, items: readonly (readonly [T, number])[]): T {
  let total = 0
  for (const [, weight] of items) total += weight
  let roll = random() * total
  for (const [item, weight] of items) {
    roll -= weight
    if (roll < 0) return item
  }
  return items[items.length - 1]![0]
}

/** Samples ranks 0..n-1 with probability proportional to 1/(rank+1)^exponent. */
export class Zipf {
  readonly #cumulative: Float64Array
  constructor(readonly n: number, exponent: number) {
    this.#cumulative = new Float64Array(n)
    let sum = 0
    for (let rank = 0; rank < n; rank++) {
      sum += 1 / (rank + 1) ** exponent
      this.#cumulative[rank] = sum
    }
  }

  sample(random: Random): number {
    const target = random() * this.#cumulative[this.n - 1]!
    let low = 0
    let high = this.n - 1
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.#cumulative[middle]! < target) low = middle + 1
      else high = middle
    }
    return low
  }

  /** Share of the traffic that the most popular rank gets. */
  get topShare(): number {
    return this.#cumulative[0]! / this.#cumulative[this.n - 1]!
  }
}

// ---------------------------------------------------------------------------------------------
// User agents: browsers people use, in plausible proportions, with varied versions and devices

/** Chrome's build number for a major version (close to the real ones: 120 → 6099, 124 → 6367). */
const chromeBuild = (major: number) => 6099 + (major - 120) * 66 + (major >= 124 ? 4 : 0)
/** Newer versions are more common: a version `back` releases behind the newest, skewed to 0. */
const recent = (random: Random, newest: number, spread: number) => newest - Math.floor(spread * random() ** 2.2)

function chromeVersion(random: Random, mobile: boolean): { major: number; full: string } {
  const major = recent(random, 127, 16)
  // Since Chrome 110 (desktop) the UA carries only the major version; older and some embedded builds send all four parts.
  const reduced = major >= 110 && random() < (mobile ? 0.55 : 0.7)
  const full = reduced ? `${major}.0.0.0` : `${major}.0.${chromeBuild(major)}.${int(random, 0, 230)}`
  return { major, full }
}

const WINDOWS = ['Windows NT 10.0; Win64; x64', 'Windows NT 10.0; Win64; x64', 'Windows NT 10.0; Win64; x64', 'Windows NT 10.0; WOW64', 'Windows NT 6.1; Win64; x64', 'Windows NT 6.3; Win64; x64']
const MAC_CHROME = 'Macintosh; Intel Mac OS X 10_15_7'
const LINUX = ['X11; Linux x86_64', 'X11; Ubuntu; Linux x86_64', 'X11; Fedora; Linux x86_64']
const ANDROID_MODELS = [
  'SM-S918B', 'SM-S911B', 'SM-S921B', 'SM-A546B', 'SM-A536B', 'SM-A155F', 'SM-A146P', 'SM-G991B', 'SM-G998B', 'SM-N986B',
  'SM-A525F', 'SM-M336BU', 'Pixel 6', 'Pixel 7', 'Pixel 7a', 'Pixel 8', 'Pixel 8 Pro', 'Pixel 6a', '2201117TG', '23021RAAEG',
  'M2101K6G', 'Redmi Note 9 Pro', 'Redmi Note 12', '22101316G', 'CPH2437', 'CPH2581', 'RMX3630', 'RMX3771', 'V2203', 'V2250',
  'moto g(60)', 'moto g54 5G', 'motorola edge 40', 'ONEPLUS A6013', 'LE2123', 'NE2213', 'TECNO KI5q', 'Infinix X6831', 'ALI-NX1', 'JNY-LX1',
]
const ANDROID_TABLETS = ['SM-X710', 'SM-X200', 'SM-T510', 'SM-P610', 'Lenovo TB-X606F', '21051182G', 'TB350FU']
const ANDROID_RELEASES = ['10', '11', '12', '13', '13', '14', '14', '14', '15']

function iosVersion(random: Random): { os: string; safari: string } {
  const major = weighted(random, [[17, 6], [16, 2.5], [18, 1.5], [15, 0.6]] as const)
  const minor = int(random, 0, major === 17 ? 6 : major === 18 ? 1 : 7)
  const patch = random() < 0.4 ? int(random, 1, 3) : 0
  const os = `${major}_${minor}${patch ? `_${patch}` : ''}`
  return { os, safari: `${major}.${minor}${patch ? `.${patch}` : ''}` }
}

type Family = (random: Random) => string

const families: (readonly [Family, number])[] = [
  // Chrome on Windows, macOS, Linux, ChromeOS
  [(r) => `Mozilla/5.0 (${pick(r, WINDOWS)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chromeVersion(r, false).full} Safari/537.36`, 30],
  [(r) => `Mozilla/5.0 (${MAC_CHROME}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chromeVersion(r, false).full} Safari/537.36`, 8],
  [(r) => `Mozilla/5.0 (${pick(r, LINUX.slice(0, 1))}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chromeVersion(r, false).full} Safari/537.36`, 2],
  [(r) => `Mozilla/5.0 (X11; CrOS x86_64 ${int(r, 15000, 15900)}.${int(r, 40, 90)}.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chromeVersion(r, false).full} Safari/537.36`, 0.8],
  // Android Chrome (reduced "K" form and full model form), tablets
  [(r) => {
    const { full, major } = chromeVersion(r, true)
    const device = major >= 110 && r() < 0.5 ? '10; K' : `${pick(r, ANDROID_RELEASES)}; ${pick(r, ANDROID_MODELS)}`
    return `Mozilla/5.0 (Linux; Android ${device}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${full} Mobile Safari/537.36`
  }, 22],
  [(r) => `Mozilla/5.0 (Linux; Android ${pick(r, ANDROID_RELEASES)}; ${pick(r, ANDROID_TABLETS)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chromeVersion(r, true).full} Safari/537.36`, 1.2],
  // Safari on iPhone, iPad, macOS; Chrome and Firefox on iOS
  [(r) => {
    const { os, safari } = iosVersion(r)
    return `Mozilla/5.0 (iPhone; CPU iPhone OS ${os} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${safari} Mobile/15E148 Safari/604.1`
  }, 16],
  [(r) => {
    const { os, safari } = iosVersion(r)
    return `Mozilla/5.0 (iPad; CPU OS ${os} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${safari} Mobile/15E148 Safari/604.1`
  }, 1.5],
  [(r) => `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${weighted(r, [['17', 5], ['16', 2], ['18', 1.5]] as const)}.${int(r, 0, 6)}${r() < 0.4 ? `.${int(r, 1, 2)}` : ''} Safari/605.1.15`, 5],
  [(r) => {
    const { os } = iosVersion(r)
    const { major } = chromeVersion(r, true)
    return `Mozilla/5.0 (iPhone; CPU iPhone OS ${os} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/${major}.0.${chromeBuild(major)}.${int(r, 30, 150)} Mobile/15E148 Safari/604.1`
  }, 2],
  [(r) => {
    const { os } = iosVersion(r)
    return `Mozilla/5.0 (iPhone; CPU iPhone OS ${os} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/${recent(r, 129, 8)}.${int(r, 0, 2)} Mobile/15E148 Safari/605.1.15`
  }, 0.4],
  // Edge, Opera, Yandex Browser, Samsung Internet
  [(r) => {
    const { major } = chromeVersion(r, false)
    const chrome = r() < 0.7 ? `${major}.0.0.0` : `${major}.0.${chromeBuild(major)}.${int(r, 0, 200)}`
    return `Mozilla/5.0 (${pick(r, WINDOWS)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chrome} Safari/537.36 Edg/${major}.0.${2210 + (major - 120) * 58}.${int(r, 20, 120)}`
  }, 5],
  [(r) => {
    const { major } = chromeVersion(r, false)
    return `Mozilla/5.0 (${pick(r, WINDOWS)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 Safari/537.36 OPR/${major - 14}.0.${int(r, 4500, 5300)}.${int(r, 10, 150)}`
  }, 1.5],
  [(r) => {
    const { major } = chromeVersion(r, false)
    const ya = `${weighted(r, [['24', 5], ['23', 2]] as const)}.${int(r, 1, 12)}.${int(r, 0, 5)}.${int(r, 600, 1000)}`
    return `Mozilla/5.0 (${pick(r, WINDOWS)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 YaBrowser/${ya} Yowser/2.5 Safari/537.36`
  }, 2.5],
  [(r) => {
    const chrome = int(r, 108, 121)
    return `Mozilla/5.0 (Linux; Android ${pick(r, ANDROID_RELEASES)}; ${pick(r, ANDROID_MODELS.slice(0, 12))}) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/${int(r, 20, 26)}.${int(r, 0, 2)} Chrome/${chrome}.0.0.0 Mobile Safari/537.36`
  }, 3],
  // Firefox on desktop and Android
  [(r) => {
    const version = r() < 0.1 ? 115 : recent(r, 130, 12)
    const platform = weighted(r, [['Windows NT 10.0; Win64; x64', 6], ['Macintosh; Intel Mac OS X 10.15', 1.5], ['X11; Linux x86_64', 1], ['X11; Ubuntu; Linux x86_64', 1]] as const)
    return `Mozilla/5.0 (${platform}; rv:${version}.0) Gecko/20100101 Firefox/${version}.${r() < 0.2 ? int(r, 1, 3) : 0}`
  }, 6],
  [(r) => {
    const version = recent(r, 130, 8)
    return `Mozilla/5.0 (Android ${pick(r, ANDROID_RELEASES)}; Mobile; rv:${version}.0) Gecko/${version}.0 Firefox/${version}.0`
  }, 0.8],
]

/** Crawlers and tools: the server drops these with 202 + X-Candor-Dropped: bot. */
export const BOT_USER_AGENTS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
  'Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)',
  'Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; help@moz.com)',
  'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
  'Twitterbot/1.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36',
  'python-requests/2.31.0',
  'curl/8.5.0',
  'Go-http-client/1.1',
  'Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
  'Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse',
]

export interface UserAgents {
  /** Distinct human user agents, most popular first. */
  readonly humans: readonly string[]
  /** Generated strings that isbot would have dropped (left out of `humans`). */
  readonly rejectedAsBots: number
}

export function userAgents(random: Random, count: number): UserAgents {
  // Draw many browsers from the families and rank the distinct strings by how often they came
  // up: the newest Chrome on Windows and the current iPhone Safari lead, old point releases trail.
  const counts = new Map<string, number>()
  const draws = Math.max(150_000, count * 100)
  for (let i = 0; i < draws; i++) {
    const agent = weighted(random, families)(random)
    counts.set(agent, (counts.get(agent) ?? 0) + 1)
  }
  let rejectedAsBots = 0
  const humans: string[] = []
  // Map order is first-seen order, so equal counts keep a stable, seeded order.
  for (const [agent] of [...counts].sort((a, b) => b[1] - a[1])) {
    if (isbot(agent)) {
      rejectedAsBots++
      continue
    }
    humans.push(agent)
    if (humans.length === count) break
  }
  if (humans.length < count) throw new Error(`could only generate ${humans.length} distinct user agents`)
  return { humans, rejectedAsBots }
}

// ---------------------------------------------------------------------------------------------
// Client addresses: public IPv4 over many /8s, a share of IPv6

function reservedV4(a: number, b: number): boolean {
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 ||
    (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && (b === 168 || b === 0)) || (a === 198 && (b === 18 || b === 19 || b === 51)) || (a === 203 && b === 0)
  )
}

const V6_PREFIXES = ['2a00', '2a01', '2a02', '2a03', '2a04', '2a05', '2001:4860', '2600', '2601', '2603', '2604', '2605', '2607', '2610', '2800', '2803', '2400', '2401', '2402', '2404', '2405', '2406', '2409', '240e']

export function addresses(random: Random, count: number, ipv6Share: number): string[] {
  const seen = new Set<string>()
  while (seen.size < count) {
    if (random() < ipv6Share) {
      const prefix = pick(random, V6_PREFIXES)
      const groups = 8 - prefix.split(':').length
      const parts: string[] = []
      for (let i = 0; i < groups; i++) parts.push(int(random, 0, 0xffff).toString(16))
      seen.add(`${prefix}:${parts.join(':')}`)
      continue
    }
    const a = int(random, 1, 223)
    const b = int(random, 0, 255)
    if (reservedV4(a, b)) continue
    seen.add(`${a}.${b}.${int(random, 0, 255)}.${int(random, 1, 254)}`)
  }
  return [...seen]
}

// ---------------------------------------------------------------------------------------------
// Pages, referrers and events

const WORDS = [
  'analytics', 'privacy', 'cookies', 'consent', 'dashboard', 'release', 'guide', 'pricing', 'startup', 'growth', 'design', 'search',
  'performance', 'security', 'typescript', 'postgres', 'clickhouse', 'marketing', 'newsletter', 'europe', 'gdpr', 'mobile', 'retention',
  'funnel', 'conversion', 'tracking', 'server', 'self-hosted', 'open-source', 'migration', 'metrics', 'reports', 'teams', 'billing',
]

function slug(random: Random, words: number): string {
  const parts: string[] = []
  for (let i = 0; i < words; i++) parts.push(pick(random, WORDS))
  return parts.join('-')
}

/** A few hundred paths, most popular first. */
function sitePaths(random: Random): string[] {
  const paths = new Set<string>(['/', '/pricing', '/features', '/blog', '/docs', '/about', '/contact', '/signup', '/login', '/download', '/changelog', '/careers', '/privacy', '/terms'])
  while (paths.size < 140) paths.add(`/blog/${slug(random, int(random, 2, 5))}`)
  while (paths.size < 240) paths.add(`/docs/${pick(random, ['getting-started', 'api', 'tracker', 'self-hosting', 'integrations', 'faq'])}/${slug(random, int(random, 1, 3))}`)
  while (paths.size < 320) paths.add(`/products/${int(random, 1000, 9999)}`)
  while (paths.size < 360) paths.add(`/ru/${slug(random, int(random, 1, 3))}`)
  while (paths.size < 380) paths.add(`/docs/api/${encodeURIComponent(pick(random, ['événements', 'статистика', 'données', 'поиск']))}-${int(random, 1, 9)}`)
  const list = [...paths]
  // Keep the landing pages on top, shuffle the long tail.
  const head = list.slice(0, 14)
  const tail = list.slice(14).sort(() => random() - 0.5)
  return [...head, ...tail]
}

const HOSTNAMES = [[SITE, 85], [`www.${SITE}`, 8], [`blog.${SITE}`, 5], [`shop.${SITE}`, 2]] as const

const SEARCH = [
  'https://www.google.com/', 'https://www.google.com/', 'https://www.google.de/', 'https://www.google.ru/', 'https://www.google.co.uk/',
  'https://yandex.ru/', 'https://ya.ru/', 'https://www.bing.com/', 'https://duckduckgo.com/', 'https://search.brave.com/', 'https://www.ecosia.org/',
  'https://yandex.ru/search/?text=web+analytics&lr=213', 'https://www.bing.com/search?q=privacy+analytics',
]
const SOCIAL = [
  'https://t.co/', 'https://www.facebook.com/', 'https://m.facebook.com/', 'https://l.facebook.com/', 'https://lm.facebook.com/', 'https://l.instagram.com/',
  'https://www.reddit.com/', 'https://old.reddit.com/r/webdev/comments/1abcde/', 'https://www.linkedin.com/', 'https://vk.com/', 'https://away.vk.com/',
  'https://t.me/', 'https://news.ycombinator.com/', 'https://www.youtube.com/', 'https://mastodon.social/@someone/112233',
]

function blogReferrers(random: Random): string[] {
  const list: string[] = []
  for (let i = 0; i < 250; i++) {
    const kind = int(random, 0, 4)
    const name = slug(random, int(random, 1, 2))
    list.push(
      kind === 0 ? `https://${name}.substack.com/p/${slug(random, 3)}`
        : kind === 1 ? `https://medium.com/@${name.replace(/-/g, '')}/${slug(random, 4)}-${int(random, 100000, 999999).toString(16)}`
          : kind === 2 ? `https://habr.com/ru/articles/${int(random, 700000, 850000)}/`
            : kind === 3 ? `https://dev.to/${name.replace(/-/g, '')}/${slug(random, 3)}`
              : `https://${name}${int(random, 1, 99)}.blog/${slug(random, 2)}/?ref=share`,
    )
  }
  return list
}

const UTM = [
  'utm_source=newsletter&utm_medium=email&utm_campaign=june_digest',
  'utm_source=google&utm_medium=cpc&utm_campaign=brand&utm_term=privacy+analytics',
  'utm_source=twitter&utm_medium=social&utm_campaign=launch',
  'utm_source=partner&utm_medium=referral&utm_campaign=integrations&utm_content=banner_a',
  'utm_source=yandex&utm_medium=cpc&utm_campaign=ru_search&utm_content=ad2',
  'utm_source=producthunt&utm_medium=referral',
]
const OTHER_QUERY = ['ref=hn', 'gclid=Cj0KCQjw3ZayBhDRARIsAPWzx8o', 'fbclid=IwAR3x9kq', 'page=2', 'q=export+csv', 'lang=ru']

const TIMEZONES = [
  ['Europe/Moscow', 20], ['Europe/Berlin', 12], ['Europe/London', 8], ['America/New_York', 10], ['America/Los_Angeles', 6],
  ['Europe/Paris', 6], ['Asia/Yekaterinburg', 3], ['Asia/Kolkata', 4], ['Asia/Tokyo', 2], ['America/Sao_Paulo', 3], ['Europe/Kiev', 2],
  ['Asia/Novosibirsk', 2], ['Europe/Madrid', 3], ['Australia/Sydney', 1.5], ['Asia/Almaty', 1.5], ['Europe/Warsaw', 2],
] as const
const LANGUAGES = [['ru-RU', 25], ['en-US', 30], ['de-DE', 12], ['en-GB', 8], ['fr-FR', 6], ['es-ES', 4], ['pt-BR', 3], ['ru', 4], ['uk-UA', 2], ['ja-JP', 2], ['hi-IN', 2]] as const
const SCREENS = [
  [1920, 1080, 1, 25], [1366, 768, 1, 8], [1536, 864, 1.25, 8], [2560, 1440, 1, 6], [1440, 900, 2, 6], [1512, 982, 2, 5],
  [390, 844, 3, 10], [393, 873, 2.75, 8], [412, 915, 2.625, 8], [360, 800, 3, 6], [414, 896, 2, 4], [430, 932, 3, 4], [820, 1180, 2, 2],
] as const
const FONTS = ['Arial', 'Helvetica', 'Times New Roman', 'Courier New', 'Verdana', 'Georgia', 'Tahoma', 'Trebuchet MS', 'Segoe UI', 'Calibri', 'Cambria', 'Consolas', 'Roboto', 'Noto Sans', 'Ubuntu', 'DejaVu Sans', 'PT Sans', 'Menlo', 'Monaco', 'Helvetica Neue']

export type BodyFormat = 'candor' | 'plausible-tracker' | 'plausible-api'

export interface Body {
  readonly data: Buffer
  readonly contentType: string
  readonly format: BodyFormat
  readonly name: string
}

interface EventChoice {
  name: string
  props?: Record<string, string | number | boolean>
  revenue?: { amount: string | number; currency: string }
}

function chooseEvent(random: Random, consented: boolean, path: string): EventChoice {
  const roll = random()
  // About 88% pageviews, 10% custom events with props, and for consented visitors a few clicks/forms.
  if (consented && roll < 0.03) {
    return random() < 0.7
      ? { name: 'Click', props: { element: pick(random, ['button', 'a']), text: pick(random, ['Get started', 'Pricing', 'Docs', 'Sign up', 'Read more']) } }
      : { name: 'Form: Submission', props: { form: pick(random, ['newsletter', 'contact', 'signup']) } }
  }
  if (roll > 0.1) return { name: 'pageview' }
  const kind = int(random, 0, 5)
  switch (kind) {
    case 0:
      return { name: 'Signup', props: { plan: pick(random, ['free', 'starter', 'business']), source: pick(random, ['header', 'pricing', 'footer']) } }
    case 1:
      return { name: 'Outbound Link: Click', props: { url: pick(random, ['https://github.com/candor/candor', 'https://twitter.com/candor', 'https://docs.example.org/']) } }
    case 2:
      return { name: 'File Download', props: { url: `https://${SITE}/files/${pick(random, ['whitepaper.pdf', 'report-2024.xlsx', 'candor-setup.zip', 'logo.svg.zip'])}` } }
    case 3:
      return {
        name: 'Purchase',
        props: { plan: pick(random, ['starter', 'business']), period: pick(random, ['monthly', 'yearly']) },
        revenue: { amount: pick(random, ['9.00', '29.00', '290.00', 1490, '19.99']), currency: pick(random, ['USD', 'EUR', 'RUB']) },
      }
    case 4:
      return { name: '404', props: { path: `${path}-old` } }
    default:
      return { name: 'Search', props: { query_length: int(random, 2, 40), results: random() < 0.8 } }
  }
}

export interface BodyPools {
  /** Events sent without analytics consent (the anonymous tier). */
  readonly anonymous: readonly Body[]
  /** Events sent with consent (c: 1, screen, fonts, days since first visit). */
  readonly consented: readonly Body[]
  readonly paths: number
  readonly referrers: number
}

export function bodyPools(random: Random, size: number): BodyPools {
  const paths = sitePaths(random)
  const pathRank = new Zipf(paths.length, 1.05)
  const blogs = blogReferrers(random)
  const make = (consented: boolean): Body => {
    const path = paths[pathRank.sample(random)]!
    const hostname = weighted(random, HOSTNAMES)
    const query = random() < 0.08 ? `?${pick(random, UTM)}` : random() < 0.05 ? `?${pick(random, OTHER_QUERY)}` : ''
    const url = `https://${hostname}${path}${query}`
    const referrerKind = random()
    const referrer =
      referrerKind < 0.42 ? null
        : referrerKind < 0.64 ? pick(random, SEARCH)
          : referrerKind < 0.74 ? pick(random, SOCIAL)
            : referrerKind < 0.84 ? pick(random, blogs)
              : `https://${SITE}${paths[pathRank.sample(random)]}`
    const event = chooseEvent(random, consented, path)
    const timezone = weighted(random, TIMEZONES)
    const language = weighted(random, LANGUAGES)
    const format = weighted(random, [['candor', 82], ['plausible-tracker', 10], ['plausible-api', 8]] as const)

    let payload: Record<string, unknown>
    if (format === 'plausible-api') {
      payload = { name: event.name, url, domain: SITE, ...(referrer ? { referrer } : {}), ...(event.props ? { props: event.props } : {}), ...(event.revenue ? { revenue: event.revenue } : {}) }
    } else if (format === 'plausible-tracker') {
      // Older Plausible trackers: props as a JSON string, the screen width as w.
      payload = { n: event.name, u: url, d: SITE, r: referrer, w: weighted(random, SCREENS.map((s) => [s[0], s[3]] as const)), ...(event.props ? { p: JSON.stringify(event.props) } : {}), ...(event.revenue ? { $: JSON.stringify(event.revenue) } : {}) }
    } else {
      payload = { n: event.name, u: url, d: SITE, r: referrer, ...(event.props ? { p: event.props } : {}), ...(event.revenue ? { $: event.revenue } : {}), tz: timezone, l: language }
      if (consented) {
        const [sw, sh, dpr] = weighted(random, SCREENS.map((s) => [s, s[3]] as const))
        const fonts = FONTS.filter(() => random() < 0.35)
        payload = { ...payload, c: 1, sw, sh, dpr, f: fonts, rv: random() < 0.6 ? 0 : int(random, 1, 400) }
      }
    }
    return {
      data: Buffer.from(JSON.stringify(payload)),
      // sendBeacon sends text/plain; the Events API is usually called with application/json.
      contentType: format === 'plausible-api' ? 'application/json' : 'text/plain;charset=UTF-8',
      format,
      name: event.name,
    }
  }
  const anonymous: Body[] = []
  const consented: Body[] = []
  for (let i = 0; i < size; i++) anonymous.push(make(false))
  for (let i = 0; i < size; i++) consented.push(make(true))
  return { anonymous, consented, paths: paths.length, referrers: SEARCH.length + SOCIAL.length + blogs.length + 1 }
}

// ---------------------------------------------------------------------------------------------
// Visitors and the request stream

export interface Visitor {
  readonly ip: string
  readonly userAgent: string
  /** Index of the user agent among the human ones, or -1 for a bot. */
  readonly agentRank: number
  readonly consented: boolean
  readonly gpc: boolean
  readonly language: string
}

export interface Population {
  readonly visitors: readonly Visitor[]
  readonly userAgents: UserAgents
  readonly agentZipf: Zipf
  readonly bodies: BodyPools
}

export interface PopulationOptions {
  seed: number
  visitors: number
  userAgents: number
  /** Share of visitors that are crawlers or tools. */
  botShare: number
  bodiesPerTier: number
}

export function population(options: PopulationOptions): Population {
  const random = seeded(options.seed)
  const agents = userAgents(random, options.userAgents)
  const agentZipf = new Zipf(agents.humans.length, 1.0)
  const ips = addresses(random, options.visitors, 0.06)
  const visitors: Visitor[] = ips.map((ip) => {
    const bot = random() < options.botShare
    const agentRank = bot ? -1 : agentZipf.sample(random)
    const gpc = !bot && random() < 0.04
    return {
      ip,
      userAgent: bot ? pick(random, BOT_USER_AGENTS) : agents.humans[agentRank]!,
      agentRank,
      consented: !gpc && random() < 0.45,
      gpc,
      language: weighted(random, [['ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7', 3], ['en-US,en;q=0.9', 4], ['de-DE,de;q=0.9,en;q=0.8', 1.5], ['fr-FR,fr;q=0.9', 1]] as const),
    }
  })
  return { visitors, userAgents: agents, agentZipf, bodies: bodyPools(random, options.bodiesPerTier) }
}

export interface NextRequest {
  readonly headers: Record<string, string>
  readonly body: Buffer
}

/**
 * The order in which visitors send events: a new visitor 60% of the time (walking the
 * population in order), otherwise one of the recently active ones, so visits have one to
 * many events and most visitors' events fall well inside the 30-minute session window.
 */
export class Traffic {
  readonly #population: Population
  readonly #random: Random
  readonly #recent: Int32Array
  #recentCount = 0
  #recentNext = 0
  #cursor = 0
  readonly #seenAgents: Uint8Array
  distinctAgents = 0
  /** New visitors whose user agent is a crawler or tool. */
  botVisitors = 0
  requests = 0
  readonly formats: Record<BodyFormat, number> = { candor: 0, 'plausible-tracker': 0, 'plausible-api': 0 }

  constructor(population: Population, seed: number, readonly newVisitorShare = 0.6, recentWindow = 4000) {
    this.#population = population
    this.#random = seeded(seed)
    this.#recent = new Int32Array(recentWindow)
    this.#seenAgents = new Uint8Array(population.userAgents.humans.length)
  }

  /** Distinct visitors (each its own IP) that have sent something. */
  get visitorsSeen(): number {
    return Math.min(this.#cursor, this.#population.visitors.length)
  }

  next(): NextRequest {
    const { visitors, bodies } = this.#population
    const random = this.#random
    let index: number
    if (this.#recentCount > 0 && random() >= this.newVisitorShare) {
      index = this.#recent[Math.floor(random() * this.#recentCount)]!
    } else {
      index = this.#cursor++ % visitors.length
      this.#recent[this.#recentNext] = index
      this.#recentNext = (this.#recentNext + 1) % this.#recent.length
      if (this.#recentCount < this.#recent.length) this.#recentCount++
      const rank = visitors[index]!.agentRank
      if (rank < 0) this.botVisitors++
      else if (this.#seenAgents[rank] === 0) {
        this.#seenAgents[rank] = 1
        this.distinctAgents++
      }
    }
    const visitor = visitors[index]!
    const pool = visitor.consented ? bodies.consented : bodies.anonymous
    const body = pool[Math.floor(random() * pool.length)]!
    this.requests++
    this.formats[body.format]++
    const headers: Record<string, string> = {
      'content-type': body.contentType,
      'user-agent': visitor.userAgent,
      'x-forwarded-for': visitor.ip,
      origin: ORIGIN,
      'accept-language': visitor.language,
    }
    if (visitor.gpc) headers['sec-gpc'] = '1'
    return { headers, body: body.data }
  }
}
