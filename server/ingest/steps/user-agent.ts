// User-agent parsing (ua-parser-js 1.x, MIT) and bot detection (isbot), cached: real traffic
// repeats a small set of user agents, and parsing one costs tens of microseconds.
import { isbot } from 'isbot'
import UAParser from 'ua-parser-js'
import type { Step, UserAgentInfo } from '../pipeline.ts'

/** Automation that isbot does not name but that never is a person browsing. */
const automation = /HeadlessChrome|PhantomJS|Lighthouse|Chrome-Lighthouse|puppeteer|playwright|selenium|webdriver/i

const deviceNames: Record<string, string> = { mobile: 'Mobile', tablet: 'Tablet', wearable: 'Mobile' }

function parse(userAgent: string): UserAgentInfo {
  if (!userAgent || isbot(userAgent) || automation.test(userAgent)) {
    return { bot: true, browser: '', browserVersion: '', browserMajor: '', os: '', osVersion: '', osMajor: '', device: '' }
  }
  const result = new UAParser(userAgent).getResult()
  const browserVersion = result.browser.version ?? ''
  const osVersion = result.os.version ?? ''
  const type = result.device.type
  return {
    bot: false,
    browser: result.browser.name ?? '',
    browserVersion,
    browserMajor: result.browser.major ?? browserVersion.split('.')[0] ?? '',
    os: result.os.name ?? '',
    osVersion,
    osMajor: osVersion.split('.')[0] ?? '',
    device: type === undefined ? 'Desktop' : (deviceNames[type] ?? 'Other'),
  }
}

const MAX_USER_AGENT = 512

export class UserAgentCache {
  readonly #entries = new Map<string, UserAgentInfo>()
  constructor(readonly capacity = 20_000) {}

  get(header: string): UserAgentInfo {
    // Real user agents are far shorter; the cut also bounds what one cache entry can hold.
    const userAgent = header.length > MAX_USER_AGENT ? header.slice(0, MAX_USER_AGENT) : header
    let info = this.#entries.get(userAgent)
    if (info === undefined) {
      info = parse(userAgent)
      // First in, first out: cheaper than LRU bookkeeping on every hit, and hot agents come back at once.
      if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value!)
      this.#entries.set(userAgent, info)
    }
    return info
  }
}

export function rejectBots(cache: UserAgentCache): Step {
  return {
    name: 'rejectBots',
    run(draft) {
      draft.userAgent = cache.get(draft.request.userAgent)
      return draft.userAgent.bot ? 'bot' : undefined
    },
  }
}
