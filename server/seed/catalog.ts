// What synthetic traffic is made of: pages, sources, places, networks, browsers and devices, each
// with a skewed weight so that reports look like a real site's (a long tail behind a few leaders).
import { Weighted, zipf } from './random.ts'

export const PAGES = zipf([
  '/', '/pricing', '/blog', '/docs', '/docs/getting-started', '/features', '/about', '/blog/privacy-first-analytics',
  '/signup', '/login', '/docs/api', '/blog/cookie-banners-explained', '/contact', '/docs/tracker', '/changelog',
  '/blog/self-hosting-guide', '/careers', '/docs/consent', '/blog/gdpr-checklist', '/legal/privacy', '/legal/terms',
  '/docs/stats-api', '/blog/web-vitals', '/integrations', '/customers', '/docs/faq', '/blog/release-2-0',
  '/download', '/security', '/status',
])

/** Where visits land first: the home page and the blog far more often than the rest. */
export const ENTRY_PAGES = zipf(['/', '/blog/privacy-first-analytics', '/pricing', '/blog/cookie-banners-explained', '/docs', '/blog/self-hosting-guide', '/features', '/docs/getting-started', '/blog/gdpr-checklist', '/about'], 0.9)

export interface Source {
  readonly source: string
  readonly domain: string
  /** A full referring URL, kept only on consented rows. */
  readonly url: string
  readonly utm?: { source: string; medium: string; campaign: string; content?: string; term?: string }
}

const referral = (source: string, domain: string, path = '/'): Source => ({ source, domain, url: `https://${domain}${path}` })

export const SOURCES = new Weighted<Source | null>([
  [null, 38],
  [referral('Google', 'www.google.com'), 28],
  [referral('Bing', 'www.bing.com'), 3],
  [referral('DuckDuckGo', 'duckduckgo.com'), 3],
  [referral('Hacker News', 'news.ycombinator.com', '/item'), 5],
  [referral('Reddit', 'www.reddit.com', '/r/selfhosted/comments/abc'), 4],
  [referral('Twitter', 't.co', '/x1y2z3'), 3],
  [referral('LinkedIn', 'www.linkedin.com', '/feed/'), 2],
  [referral('GitHub', 'github.com', '/candor/candor'), 3],
  [referral('dev.to', 'dev.to', '/someone/analytics-without-cookies'), 1.5],
  [referral('Yandex', 'yandex.ru', '/search/'), 1],
  [{ ...referral('Newsletter', ''), url: '', utm: { source: 'newsletter', medium: 'email', campaign: 'monthly-digest' } }, 3],
  [{ ...referral('Google', 'www.google.com'), utm: { source: 'google', medium: 'cpc', campaign: 'brand', term: 'privacy analytics' } }, 2.5],
  [{ ...referral('Facebook', 'www.facebook.com'), utm: { source: 'facebook', medium: 'social', campaign: 'launch', content: 'video' } }, 1.5],
  [referral('blog.example.org', 'blog.example.org', '/2024/analytics-tools'), 1],
  [referral('awesome-selfhosted.net', 'awesome-selfhosted.net', '/tags/analytics.html'), 0.8],
])

export interface Place {
  readonly country: string
  readonly region: string
  readonly city: string
  readonly timezone: string
  readonly languages: Weighted<string>
}

interface CountrySpec {
  readonly code: string
  readonly weight: number
  readonly languages: ReadonlyArray<readonly [string, number]>
  readonly places: ReadonlyArray<readonly [region: string, city: string, timezone: string, weight: number]>
  readonly networks: ReadonlyArray<readonly [asn: number, isp: string, weight: number]>
}

const COUNTRIES: readonly CountrySpec[] = [
  {
    code: 'US', weight: 30, languages: [['en-US', 9], ['es-US', 1]],
    places: [['California', 'San Francisco', 'America/Los_Angeles', 4], ['California', 'Los Angeles', 'America/Los_Angeles', 3], ['New York', 'New York', 'America/New_York', 5], ['Texas', 'Austin', 'America/Chicago', 2], ['Washington', 'Seattle', 'America/Los_Angeles', 2], ['Illinois', 'Chicago', 'America/Chicago', 2]],
    networks: [[7922, 'Comcast Cable Communications, LLC', 4], [701, 'Verizon Business', 3], [7018, 'AT&T Services, Inc.', 3], [20115, 'Charter Communications', 2]],
  },
  {
    code: 'DE', weight: 12, languages: [['de-DE', 8], ['en-US', 2]],
    places: [['Berlin', 'Berlin', 'Europe/Berlin', 4], ['Bavaria', 'Munich', 'Europe/Berlin', 3], ['Hamburg', 'Hamburg', 'Europe/Berlin', 2], ['Hesse', 'Frankfurt am Main', 'Europe/Berlin', 2]],
    networks: [[3320, 'Deutsche Telekom AG', 5], [3209, 'Vodafone GmbH', 3], [6805, 'Telefonica Germany', 2]],
  },
  {
    code: 'GB', weight: 9, languages: [['en-GB', 9], ['en-US', 1]],
    places: [['England', 'London', 'Europe/London', 6], ['England', 'Manchester', 'Europe/London', 2], ['Scotland', 'Edinburgh', 'Europe/London', 1]],
    networks: [[2856, 'British Telecommunications PLC', 4], [5089, 'Virgin Media Limited', 3], [5607, 'Sky UK Limited', 2]],
  },
  {
    code: 'FR', weight: 7, languages: [['fr-FR', 9], ['en-US', 1]],
    places: [['Île-de-France', 'Paris', 'Europe/Paris', 5], ['Auvergne-Rhône-Alpes', 'Lyon', 'Europe/Paris', 2], ["Provence-Alpes-Côte d'Azur", 'Marseille', 'Europe/Paris', 1]],
    networks: [[3215, 'Orange S.A.', 4], [12322, 'Free SAS', 3], [5410, 'Bouygues Telecom SA', 2]],
  },
  {
    code: 'RU', weight: 6, languages: [['ru-RU', 9], ['en-US', 1]],
    places: [['Moscow', 'Moscow', 'Europe/Moscow', 5], ['St.-Petersburg', 'Saint Petersburg', 'Europe/Moscow', 3], ['Novosibirsk Oblast', 'Novosibirsk', 'Asia/Novosibirsk', 1]],
    networks: [[12389, 'PJSC Rostelecom', 4], [8359, 'MTS PJSC', 3], [31213, 'PJSC MegaFon', 2]],
  },
  {
    code: 'IN', weight: 6, languages: [['en-IN', 7], ['hi-IN', 2]],
    places: [['Karnataka', 'Bengaluru', 'Asia/Kolkata', 4], ['Maharashtra', 'Mumbai', 'Asia/Kolkata', 3], ['Delhi', 'New Delhi', 'Asia/Kolkata', 3]],
    networks: [[55836, 'Reliance Jio Infocomm Limited', 5], [24560, 'Bharti Airtel Ltd.', 3]],
  },
  {
    code: 'NL', weight: 4, languages: [['nl-NL', 7], ['en-US', 3]],
    places: [['North Holland', 'Amsterdam', 'Europe/Amsterdam', 4], ['South Holland', 'Rotterdam', 'Europe/Amsterdam', 2]],
    networks: [[1136, 'KPN B.V.', 3], [33915, 'Vodafone Libertel B.V.', 2]],
  },
  {
    code: 'BR', weight: 4, languages: [['pt-BR', 9]],
    places: [['São Paulo', 'São Paulo', 'America/Sao_Paulo', 4], ['Rio de Janeiro', 'Rio de Janeiro', 'America/Sao_Paulo', 2]],
    networks: [[28573, 'Claro NXT Telecomunicacoes Ltda', 3], [18881, 'TELEFÔNICA BRASIL S.A', 2]],
  },
  {
    code: 'JP', weight: 3, languages: [['ja-JP', 9]],
    places: [['Tokyo', 'Tokyo', 'Asia/Tokyo', 5], ['Osaka', 'Osaka', 'Asia/Tokyo', 2]],
    networks: [[2516, 'KDDI CORPORATION', 3], [4713, 'NTT Communications Corporation', 3]],
  },
  {
    code: 'CA', weight: 3, languages: [['en-CA', 7], ['fr-CA', 2]],
    places: [['Ontario', 'Toronto', 'America/Toronto', 4], ['Quebec', 'Montreal', 'America/Toronto', 2], ['British Columbia', 'Vancouver', 'America/Vancouver', 2]],
    networks: [[812, 'Rogers Communications Canada Inc.', 3], [577, 'Bell Canada', 3]],
  },
  {
    code: 'PL', weight: 2, languages: [['pl-PL', 9]],
    places: [['Mazovia', 'Warsaw', 'Europe/Warsaw', 3], ['Lesser Poland', 'Kraków', 'Europe/Warsaw', 2]],
    networks: [[5617, 'Orange Polska Spolka Akcyjna', 3]],
  },
  {
    code: 'AU', weight: 2, languages: [['en-AU', 9]],
    places: [['New South Wales', 'Sydney', 'Australia/Sydney', 3], ['Victoria', 'Melbourne', 'Australia/Melbourne', 2]],
    networks: [[1221, 'Telstra Limited', 3], [4804, 'Optus', 2]],
  },
]

export interface Country {
  readonly code: string
  readonly places: Weighted<Place>
  readonly networks: Weighted<{ asn: number; isp: string }>
}

export const COUNTRY_CHOICE = new Weighted<Country>(
  COUNTRIES.map((spec) => {
    const languages = new Weighted(spec.languages)
    const country: Country = {
      code: spec.code,
      places: new Weighted(spec.places.map(([region, city, timezone, weight]) => [{ country: spec.code, region, city, timezone, languages }, weight] as const)),
      networks: new Weighted(spec.networks.map(([asn, isp, weight]) => [{ asn, isp }, weight] as const)),
    }
    return [country, spec.weight] as const
  }),
)

export interface Client {
  readonly browser: string
  readonly browserVersions: readonly string[]
  readonly os: string
  readonly osVersions: readonly string[]
  readonly device: 'Desktop' | 'Mobile' | 'Tablet'
}

export const CLIENTS = new Weighted<Client>([
  [{ browser: 'Chrome', browserVersions: ['131.0.0.0', '130.0.0.0', '129.0.0.0'], os: 'Windows', osVersions: ['10', '11'], device: 'Desktop' }, 26],
  [{ browser: 'Chrome', browserVersions: ['131.0.6778.104', '130.0.6723.102'], os: 'Android', osVersions: ['14', '13', '12'], device: 'Mobile' }, 20],
  [{ browser: 'Mobile Safari', browserVersions: ['17.5', '18.1', '16.6'], os: 'iOS', osVersions: ['17.5.1', '18.1', '16.7.10'], device: 'Mobile' }, 15],
  [{ browser: 'Chrome', browserVersions: ['131.0.0.0', '130.0.0.0'], os: 'macOS', osVersions: ['10.15.7'], device: 'Desktop' }, 8],
  [{ browser: 'Safari', browserVersions: ['17.6', '18.1'], os: 'macOS', osVersions: ['10.15.7'], device: 'Desktop' }, 6],
  [{ browser: 'Edge', browserVersions: ['131.0.2903.51', '130.0.2849.80'], os: 'Windows', osVersions: ['10', '11'], device: 'Desktop' }, 7],
  [{ browser: 'Firefox', browserVersions: ['133.0', '132.0', '128.0'], os: 'Windows', osVersions: ['10', '11'], device: 'Desktop' }, 5],
  [{ browser: 'Firefox', browserVersions: ['133.0', '132.0'], os: 'Linux', osVersions: [''], device: 'Desktop' }, 2],
  [{ browser: 'Chrome', browserVersions: ['131.0.0.0'], os: 'Linux', osVersions: [''], device: 'Desktop' }, 2],
  [{ browser: 'Samsung Internet', browserVersions: ['26.0', '25.0'], os: 'Android', osVersions: ['14', '13'], device: 'Mobile' }, 3],
  [{ browser: 'Mobile Safari', browserVersions: ['17.5', '18.1'], os: 'iOS', osVersions: ['17.5.1', '18.1'], device: 'Tablet' }, 3],
  [{ browser: 'Yandex', browserVersions: ['24.10.0.0'], os: 'Windows', osVersions: ['10'], device: 'Desktop' }, 1],
  [{ browser: 'Opera', browserVersions: ['114.0.0.0'], os: 'Windows', osVersions: ['10', '11'], device: 'Desktop' }, 1],
])

export const SCREENS: Record<Client['device'], Weighted<readonly [width: number, height: number, pixelRatio: number]>> = {
  Desktop: new Weighted([[[1920, 1080, 1], 10], [[2560, 1440, 1], 4], [[1440, 900, 2], 4], [[1536, 864, 1.25], 3], [[1366, 768, 1], 3], [[3840, 2160, 1.5], 1]]),
  Mobile: new Weighted([[[390, 844, 3], 8], [[393, 873, 2.75], 5], [[412, 915, 2.625], 5], [[375, 667, 2], 3], [[360, 800, 3], 3]]),
  Tablet: new Weighted([[[820, 1180, 2], 4], [[768, 1024, 2], 3], [[1024, 1366, 2], 2]]),
}

/** The tracker's fixed list of probed fonts, by the platform that usually has them. */
export const FONTS_BY_OS: Record<string, readonly string[]> = {
  Windows: ['Arial', 'Times New Roman', 'Courier New', 'Verdana', 'Georgia', 'Tahoma', 'Trebuchet MS', 'Comic Sans MS', 'Impact', 'Segoe UI', 'Calibri', 'Cambria', 'Consolas'],
  macOS: ['Arial', 'Helvetica', 'Helvetica Neue', 'Times New Roman', 'Courier New', 'Verdana', 'Georgia', 'Lucida Grande', 'Menlo', 'Monaco'],
  iOS: ['Arial', 'Helvetica', 'Helvetica Neue', 'Times New Roman', 'Courier New', 'Georgia', 'Menlo'],
  Android: ['Roboto', 'Noto Sans', 'Open Sans'],
  Linux: ['DejaVu Sans', 'Liberation Sans', 'Ubuntu', 'Cantarell', 'Noto Sans', 'Open Sans'],
}

export const SIGNUP_PLANS = new Weighted([['free', 7], ['pro', 2.5], ['team', 0.5]] as const)
export const OUTBOUND_LINKS = zipf(['https://github.com/candor/candor', 'https://twitter.com/candor', 'https://news.ycombinator.com/item', 'https://gdpr.eu/cookies/', 'https://www.w3.org/TR/gpc/'])
export const DOWNLOADS = zipf(['/downloads/candor-whitepaper.pdf', '/downloads/candor-1.4.0.tar.gz', '/downloads/dpa-template.docx', '/downloads/brand-kit.zip'])
export const CLICK_TARGETS = zipf([
  { tag: 'button', text: 'Start free trial' }, { tag: 'a', text: 'Read the docs' }, { tag: 'button', text: 'Copy snippet' }, { tag: 'a', text: 'Pricing' },
])
export const FORMS = zipf(['newsletter', 'contact', 'signup'])

/** Relative traffic per local hour (0–23) and per local weekday (0 = Sunday). */
export const HOUR_WEIGHTS = [2, 1.5, 1, 1, 1, 1.5, 3, 5, 7, 8.5, 9, 9, 8.5, 9, 9.5, 9, 8.5, 7.5, 6.5, 6, 5.5, 5, 4, 3] as const
export const WEEKDAY_WEIGHTS = [0.6, 1, 1.05, 1.05, 1, 0.9, 0.6] as const
