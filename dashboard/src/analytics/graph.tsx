// The main graph, hand-written SVG (a line or two of paths and axis labels is less code than a
// charting library and keeps the first screen small): role="img" with a title and a
// description that says the numbers, so screen readers get them too.
import { formatDate, formatDuration, formatMonth, formatNumber, formatPercent, localized } from '../i18n.ts'

const text = localized({
  en: { previous: 'previous period', desc: (metric: string, total: string, peak: string) => `${metric}: ${total} in total; highest ${peak}.` },
  ru: { previous: 'предыдущий период', desc: (metric: string, total: string, peak: string) => `${metric}: всего ${total}; максимум ${peak}.` },
})

export type Interval = 'minute' | 'hour' | 'day' | 'week' | 'month'

export function formatMetric(metric: string, value: number): string {
  if (metric === 'bounce_rate' || metric === 'conversion_rate') return formatPercent(value)
  if (metric === 'visit_duration') return formatDuration(value)
  return formatNumber(value)
}

export function formatBucket(label: string, interval: Interval, short = false): string {
  if (interval === 'month') return formatMonth(label)
  if (interval === 'hour' || interval === 'minute') return formatDate(label, true)
  return formatDate(label, false, short)
}

const W = 800
const H = 240
const PAD = { left: 56, right: 16, top: 16, bottom: 32 }

/** A round top for the axis; counts get four whole-number steps. */
function niceMax(value: number, whole: boolean): number {
  if (value <= 0) return whole ? 4 : 1
  const target = whole ? Math.max(1, value / 4) : value
  const power = 10 ** Math.floor(Math.log10(target))
  const step = ([1, 2, 2.5, 5, 10].find((s) => s * power >= target) ?? 10) * power
  return whole ? Math.ceil(step) * 4 : step
}

export function Graph({ labels, values, previous, metric, metricName, interval }: {
  labels: string[]
  values: number[]
  previous?: number[] | undefined
  metric: string
  metricName: string
  interval: Interval
}) {
  const additive = metric === 'visitors' || metric === 'visits' || metric === 'pageviews' || metric === 'events'
  const max = niceMax(Math.max(0, ...values, ...(previous ?? [])), additive)
  const innerW = W - PAD.left - PAD.right
  const innerH = H - PAD.top - PAD.bottom
  const x = (i: number) => PAD.left + (labels.length <= 1 ? innerW / 2 : (i / (labels.length - 1)) * innerW)
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH
  const line = (series: number[]) => series.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('')
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max)
  const labelEvery = Math.max(1, Math.ceil(labels.length / 6))
  const total = additive ? values.reduce((a, b) => a + b, 0) : values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0
  const peakIndex = values.reduce((best, v, i) => (v > (values[best] ?? -1) ? i : best), 0)
  const desc = text().desc(metricName, formatMetric(metric, total), labels[peakIndex] ? `${formatMetric(metric, values[peakIndex] ?? 0)} (${formatBucket(labels[peakIndex]!, interval)})` : '—')
  return (
    <svg class="graph" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="graph-title graph-desc" preserveAspectRatio="none">
      <title id="graph-title">{metricName}</title>
      <desc id="graph-desc">{desc}</desc>
      {ticks.map((t) => (
        <g key={t}>
          <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
          <text class="axis" x={PAD.left - 8} y={y(t) + 4} text-anchor="end">
            {metric === 'visit_duration' ? formatDuration(t) : metric === 'bounce_rate' ? formatPercent(t) : formatNumber(t, true)}
          </text>
        </g>
      ))}
      {labels.map((label, i) =>
        i % labelEvery === 0 ? (
          <text key={label} class="axis" x={x(i)} y={H - 10} text-anchor="middle">
            {formatBucket(label, interval, true)}
          </text>
        ) : null,
      )}
      {previous && previous.length > 0 && <path class="line previous" d={line(previous.slice(0, labels.length))}><title>{text().previous}</title></path>}
      <path class="area" d={`${line(values)}L${x(values.length - 1)},${y(0)}L${x(0)},${y(0)}Z`} />
      <path class="line" d={line(values)} />
      {values.map((v, i) => (
        <circle key={i} class="dot" cx={x(i)} cy={y(v)} r={labels.length > 60 ? 0 : 3}>
          <title>{`${formatBucket(labels[i] ?? '', interval)}: ${formatMetric(metric, v)}`}</title>
        </circle>
      ))}
    </svg>
  )
}
