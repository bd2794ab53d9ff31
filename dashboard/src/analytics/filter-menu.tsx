// The filter menu of the analytics screen: any dimension the Stats API filters by, with is, is
// not, contains or does not contain, and a value typed or picked from that dimension's busiest
// values in the current view. Clicking a card's row makes an `is` filter; this makes the others.
import { useState } from 'preact/hooks'
import { getLocale, localized } from '../i18n.ts'
import { valueLabel } from './cards.tsx'
import { useStats, type Filter, type StatsQuery } from './query.ts'

const text = localized({
  en: {
    add: 'Filter',
    dimension: 'Filter by',
    operator: 'Condition',
    value: 'Value',
    apply: 'Apply filter',
    ops: { is: 'is', is_not: 'is not', contains: 'contains', contains_not: 'does not contain' } as Record<Filter[0], string>,
  },
  ru: {
    add: 'Фильтр',
    dimension: 'Фильтровать по',
    operator: 'Условие',
    value: 'Значение',
    apply: 'Применить фильтр',
    ops: { is: 'равно', is_not: 'не равно', contains: 'содержит', contains_not: 'не содержит' } as Record<Filter[0], string>,
  },
})

/** What a dimension is called on screen: in chips, in this menu. */
const DIMENSION_NAMES: Record<string, { en: string; ru: string }> = {
  'event:page': { en: 'Page', ru: 'Страница' },
  'visit:entry_page': { en: 'Entry page', ru: 'Страница входа' },
  'visit:exit_page': { en: 'Exit page', ru: 'Страница выхода' },
  'event:hostname': { en: 'Hostname', ru: 'Домен' },
  'visit:source': { en: 'Source', ru: 'Источник' },
  'visit:referrer': { en: 'Referrer', ru: 'Ссылающийся сайт' },
  'visit:utm_medium': { en: 'UTM medium', ru: 'UTM medium' },
  'visit:utm_source': { en: 'UTM source', ru: 'UTM source' },
  'visit:utm_campaign': { en: 'UTM campaign', ru: 'UTM campaign' },
  'visit:utm_content': { en: 'UTM content', ru: 'UTM content' },
  'visit:utm_term': { en: 'UTM term', ru: 'UTM term' },
  'visit:country': { en: 'Country', ru: 'Страна' },
  'visit:region': { en: 'Region', ru: 'Регион' },
  'visit:city': { en: 'City', ru: 'Город' },
  'visit:isp': { en: 'ISP', ru: 'Провайдер' },
  'visit:browser': { en: 'Browser', ru: 'Браузер' },
  'visit:browser_version': { en: 'Browser version', ru: 'Версия браузера' },
  'visit:os': { en: 'OS', ru: 'ОС' },
  'visit:os_version': { en: 'OS version', ru: 'Версия ОС' },
  'visit:device': { en: 'Device', ru: 'Устройство' },
  'visit:screen': { en: 'Screen size', ru: 'Размер экрана' },
  'visit:timezone': { en: 'Time zone', ru: 'Часовой пояс' },
  'visit:language': { en: 'Language', ru: 'Язык' },
  'event:goal': { en: 'Goal', ru: 'Цель' },
  'event:name': { en: 'Event', ru: 'Событие' },
}

/** The menu offers every named dimension, in this order. */
const FILTERABLE = Object.keys(DIMENSION_NAMES)

export function dimensionName(dimension: string): string {
  const names = DIMENSION_NAMES[dimension]
  return names ? names[getLocale()] : dimension.replace(/^(visit|event):(props:)?/, '')
}

const SUGGESTIONS = 25

export function FilterMenu({ base, onApply }: { base: Omit<StatsQuery, 'metrics' | 'dimensions'>; onApply(filter: Filter): void }) {
  const t = text()
  const [open, setOpen] = useState(false)
  const [dimension, setDimension] = useState(FILTERABLE[0]!)
  const [operator, setOperator] = useState<Filter[0]>('is')
  const [value, setValue] = useState('')
  // The dimension's busiest values in the view, leaving out a filter on that dimension itself.
  const others = (base.filters ?? []).filter((f) => f[1] !== dimension)
  const query: StatsQuery | null = open
    ? { ...base, filters: others.length > 0 ? others : undefined, metrics: ['visitors'], dimensions: [dimension], pagination: { limit: SUGGESTIONS } }
    : null
  const suggestions = useStats(query)

  const submit = (event: Event) => {
    event.preventDefault()
    if (value.trim() === '') return
    onApply([operator, dimension, [value.trim()]])
    setValue('')
    setOpen(false)
  }

  return (
    <details class="filter-menu" open={open} onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary data-testid="filter-menu">+ {t.add}</summary>
      <form class="filter-form" onSubmit={submit}>
        <label>
          {t.dimension}
          <select id="filter-dimension" value={dimension} onChange={(e) => setDimension((e.currentTarget as HTMLSelectElement).value)}>
            {FILTERABLE.map((name) => (
              <option key={name} value={name}>{dimensionName(name)}</option>
            ))}
          </select>
        </label>
        <label>
          {t.operator}
          <select id="filter-operator" value={operator} onChange={(e) => setOperator((e.currentTarget as HTMLSelectElement).value as Filter[0])}>
            {(Object.keys(t.ops) as Filter[0][]).map((op) => (
              <option key={op} value={op}>{t.ops[op]}</option>
            ))}
          </select>
        </label>
        <label>
          {t.value}
          <input id="filter-value" list="filter-suggestions" autocomplete="off" value={value} onInput={(e) => setValue(e.currentTarget.value)} required />
        </label>
        <datalist id="filter-suggestions">
          {(suggestions.data?.results ?? []).map((row) => (
            <option key={row.dimensions[0]} value={row.dimensions[0]}>{valueLabel(dimension, row.dimensions[0] ?? '')}</option>
          ))}
        </datalist>
        <button type="submit" disabled={value.trim() === ''}>{t.apply}</button>
      </form>
    </details>
  )
}
