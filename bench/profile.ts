// Summarises a V8 CPU profile of the server written by `npm run bench -- --profile`:
//
//   npx tsx bench/profile.ts <file.cpuprofile>                 busy share of the main thread, second by second
//   npx tsx bench/profile.ts <file.cpuprofile> <from> <to>     where the time went between two seconds of the profile
//   npx tsx bench/profile.ts <file.cpuprofile> <from> <to> --stalls <regex>
//                                                              longest uninterrupted runs inside functions matching regex
//
// Pick the window from the timeline: the saturation phase of /api/event is the first long stretch of
// seconds with the main thread near 100% busy after start-up.
import { readFileSync } from 'node:fs'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Where the main thread's time goes, first match wins (a sample belongs to the first category found on its stack). */
const CATEGORIES: readonly (readonly [string, RegExp])[] = [
  ['idle', /^\(idle\) /],
  ['garbage collector', /^\(garbage collector\) /],
  ['ClickHouse writer: splitBatch, Buffer -> string, chDB call', /^(streamToString|queryAsync|splitBatch|#writeNext|#insert|exec) .*(chdb|writer)/],
  ['spool append and group commit', /^(#flush|append) .*spool\.ts/],
  ['geo lookup', /^locate .*geo\/index\.ts/],
  ['visitor hash (HMAC), also yesterday\'s for new visits', /^(visitorHash|previousVisitorId) /],
  ['user agent: cache, isbot, ua-parser', /^run .*user-agent\.ts/],
  ['sessions and row JSON', /^record .*sessions\.ts/],
  ['source, page, site, tier steps', /^run .*steps\/(source|page|site|tier)\.ts/],
  ['normalize payload', /^normalize .*payload\.ts/],
  ['rate limit', /rate-limit/],
  ['body schema validation', /^(validate|validateParam) .*fastify\/lib\/validation/],
  ['response write (writev)', /^(Reply\.send|writePayload) /],
]

const short = (frame: CallFrame) =>
  `${frame.functionName || '(anonymous)'} ${frame.url.replace(/.*node_modules\//, '').replace(/^file:\/\/.*?\/(server|bench)\//, '$1/')}:${frame.lineNumber + 1}`

function load(path: string) {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const parents = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
  const stacks = new Map<number, string[]>()
  const stack = (id: number): string[] => {
    let frames = stacks.get(id)
    if (!frames) {
      frames = []
      for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
        frames.push(short(nodes.get(current)!.callFrame))
      }
      stacks.set(id, frames)
    }
    return frames
  }
  // Sample i covers timeDeltas[i] microseconds ending at its timestamp.
  const samples: { at: number; duration: number; id: number }[] = []
  let at = 0
  profile.samples.forEach((id, i) => {
    const duration = profile.timeDeltas[i] ?? 0
    at += duration
    samples.push({ at: at / 1e6, duration: duration / 1e3, id })
  })
  return { samples, stack }
}

const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1).padStart(5)}%`

function timeline(path: string): void {
  const { samples, stack } = load(path)
  const seconds: { busy: number; all: number }[] = []
  for (const sample of samples) {
    const second = Math.floor(sample.at)
    const bucket = (seconds[second] ??= { busy: 0, all: 0 })
    bucket.all += sample.duration
    if (!stack(sample.id)[0]!.startsWith('(idle)')) bucket.busy += sample.duration
  }
  console.log('main thread busy, per second of the profile:')
  console.log(Array.from(seconds, (bucket, second) => `${second}:${bucket ? Math.round((100 * bucket.busy) / bucket.all) : 0}%`).join(' '))
}

function window(path: string, from: number, to: number): void {
  const { samples, stack } = load(path)
  const categories = new Map<string, number>()
  const self = new Map<string, number>()
  let total = 0
  for (const sample of samples) {
    if (sample.at < from || sample.at >= to) continue
    const frames = stack(sample.id)
    total += sample.duration
    const category = CATEGORIES.find(([, pattern]) => frames.some((frame) => pattern.test(frame)))?.[0] ?? 'other: HTTP parsing, Fastify routing and hooks, promises'
    categories.set(category, (categories.get(category) ?? 0) + sample.duration)
    self.set(frames[0]!, (self.get(frames[0]!) ?? 0) + sample.duration)
  }
  console.log(`main thread, seconds ${from} to ${to} (${(total / 1000).toFixed(1)} s sampled):`)
  for (const [name, ms] of [...categories].sort((a, b) => b[1] - a[1])) console.log(`  ${percent(ms, total)}  ${name}`)
  console.log('top functions by self time:')
  for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${percent(ms, total)}  ${name}`)
}

function stalls(path: string, from: number, to: number, pattern: RegExp): void {
  const { samples, stack } = load(path)
  const runs: { start: number; ms: number }[] = []
  let current: { start: number; ms: number } | null = null
  let total = 0
  for (const sample of samples) {
    if (sample.at < from || sample.at >= to) continue
    if (stack(sample.id).some((frame) => pattern.test(frame))) {
      total += sample.duration
      current ??= { start: sample.at, ms: 0 }
      current.ms += sample.duration
    } else if (current) {
      runs.push(current)
      current = null
    }
  }
  if (current) runs.push(current)
  runs.sort((a, b) => b.ms - a.ms)
  console.log(`${pattern}: ${total.toFixed(0)} ms in ${runs.length} uninterrupted runs; longest:`)
  console.log(`  ${runs.slice(0, 12).map((run) => `${run.ms.toFixed(1)} ms at ${run.start.toFixed(1)} s`).join(', ')}`)
}

const [path, from, to, flag, regex] = process.argv.slice(2)
if (!path) {
  console.error('usage: npx tsx bench/profile.ts <file.cpuprofile> [<from s> <to s> [--stalls <regex>]]')
  process.exit(2)
}
if (from === undefined || to === undefined) timeline(path)
else if (flag === '--stalls' && regex) stalls(path, Number(from), Number(to), new RegExp(regex))
else window(path, Number(from), Number(to))
