// The page: path only. Query strings are dropped (utm_* become their own columns, see source.ts)
// and fragments too, except the route of a hash-routed app (data-hash) which is the page itself.
import type { Step } from '../pipeline.ts'

const MAX_PATH = 2000

function decode(path: string): string {
  try {
    return decodeURI(path)
  } catch {
    return path
  }
}

export const cleanPage: Step = {
  name: 'cleanPage',
  run(draft) {
    const { url, hashMode } = draft.event
    // The route ends where parameters would start: `#/search?q=…` and `#access_token=…` keep only the path.
    const route = hashMode && url.hash.length > 1 ? url.hash.split(/[?&=]/)[0]! : ''
    draft.pathname = decode(url.pathname + route).slice(0, MAX_PATH)
    return undefined
  },
}
