// The visitors-by-country choropleth: pre-projected paths (world-paths.ts, built by
// scripts/build-map.ts), shaded by visitors. Screen readers get the same numbers as a table, and
// each country is a focusable button that filters by it on Enter or Space.
import { MAP_HEIGHT, MAP_WIDTH, WORLD_PATHS } from './world-paths.ts'
import { formatNumber, localized, useLocale } from '../i18n.ts'
import { countryName } from '../pages/page-kit.tsx'

export interface WorldMapProps {
  data: Array<{ code: string; visitors: number }>
  onSelect(code: string): void
}

const texts = localized({
  en: { title: 'Visitors by country', country: 'Country', visitors: 'Visitors', none: 'No visitors' },
  ru: { title: 'Посетители по странам', country: 'Страна', visitors: 'Посетители', none: 'Нет посетителей' },
})

/** Five shades, by the square root of the share of the busiest country, so small counts still show. */
function shade(visitors: number, max: number): number {
  if (visitors <= 0 || max <= 0) return 0
  return Math.min(5, 1 + Math.floor(Math.sqrt(visitors / max) * 4.999))
}

export function WorldMap({ data, onSelect }: WorldMapProps) {
  const t = texts()
  const lang = useLocale()
  const byCode = new Map<string, number>()
  for (const row of data) byCode.set(row.code.toUpperCase(), (byCode.get(row.code.toUpperCase()) ?? 0) + row.visitors)
  const max = Math.max(0, ...byCode.values())
  const sorted = [...byCode].sort((a, b) => b[1] - a[1])
  const activate = (code: string) => (event: KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault()
      onSelect(code)
    }
  }
  return (
    <figure class="world-map">
      <svg viewBox={`0 0 ${MAP_WIDTH} ${MAP_HEIGHT}`} role="img" aria-label={t.title} class="world-map-svg">
        <title>{t.title}</title>
        {Object.entries(WORLD_PATHS).map(([code, d]) => {
          const visitors = byCode.get(code) ?? 0
          const name = countryName(code, lang)
          const label = `${name}: ${visitors > 0 ? `${formatNumber(visitors)} ${t.visitors.toLowerCase()}` : t.none.toLowerCase()}`
          return visitors > 0 ? (
            <path
              key={code}
              d={d}
              class={`country shade-${shade(visitors, max)}`}
              data-code={code}
              tabindex={0}
              role="button"
              aria-label={label}
              onClick={() => onSelect(code)}
              onKeyDown={activate(code)}
            >
              <title>{label}</title>
            </path>
          ) : (
            <path key={code} d={d} class="country shade-0" data-code={code}>
              <title>{label}</title>
            </path>
          )
        })}
      </svg>
      <table class="visually-hidden">
        <caption>{t.title}</caption>
        <thead>
          <tr>
            <th scope="col">{t.country}</th>
            <th scope="col">{t.visitors}</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map(([code, visitors]) => (
            <tr key={code}>
              <th scope="row">{countryName(code, lang)}</th>
              <td>{formatNumber(visitors)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  )
}
