// How seeding progress reads: a redrawn bar on a terminal, plain lines every few seconds
// otherwise (logs, pipes), and one summary line at the end.
import type { SeedProgress, SeedSummary } from './seed.ts'

const BAR_WIDTH = 30
const LINE_INTERVAL_MS = 2000

const rate = (progress: SeedProgress) => (progress.elapsed > 0 ? progress.events / progress.elapsed : 0)

function eta(progress: SeedProgress): string {
  const perSecond = rate(progress)
  if (perSecond === 0) return '?'
  const seconds = Math.round((progress.total - progress.events) / perSecond)
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`
}

const percent = (progress: SeedProgress) => Math.floor((100 * progress.events) / progress.total)

export function progressLine(progress: SeedProgress): string {
  return `seeding: ${progress.events}/${progress.total} events (${percent(progress)}%), ${progress.visits} visits, ${Math.round(rate(progress))} events/s, ETA ${eta(progress)}`
}

export function progressBar(progress: SeedProgress): string {
  const filled = Math.round((BAR_WIDTH * progress.events) / progress.total)
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(percent(progress)).padStart(3)}%  ${Math.round(rate(progress))} events/s  ETA ${eta(progress)}`
}

export const summaryLine = (summary: SeedSummary) =>
  `seeded ${summary.events} events in ${summary.visits} visits in ${summary.seconds} s`

/** Shows progress on `stream`: a bar when it is a terminal, a line every two seconds otherwise. */
export function progressReporter(stream: NodeJS.WriteStream): { update(progress: SeedProgress): void; done(): void } {
  let lastLine = 0
  let drawn = false
  return {
    update(progress) {
      if (stream.isTTY) {
        stream.write(`\r${progressBar(progress)}\x1b[K`)
        drawn = true
      } else if (Date.now() - lastLine >= LINE_INTERVAL_MS || progress.events === progress.total) {
        lastLine = Date.now()
        stream.write(`${progressLine(progress)}\n`)
      }
    },
    done() {
      if (drawn) stream.write('\n')
    },
  }
}
