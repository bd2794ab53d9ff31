// A site's goals: the list with each goal's conversions in the URL's date range, a form to add a
// goal (a custom event name or a page path pattern), and removal.
import { useState } from 'preact/hooks'
import { api } from '../api.ts'
import { formatNumber, formatPercent, localized, useLocale } from '../i18n.ts'
import { useRoute } from '../router.ts'
import { Empty, ErrorNote, FieldError, Loading, errorField, rangeFromQuery, useLoad } from './page-kit.tsx'

export interface Goal {
  id: number
  kind: 'event' | 'page'
  event_name: string | null
  page_path: string | null
  display_name: string
}
interface QueryAnswer {
  results: Array<{ metrics: number[]; dimensions: string[] }>
}

const texts = localized({
  en: {
    title: 'Goals',
    hint: 'A goal counts a custom event, or visits to pages matching a path (* matches any characters).',
    goal: 'Goal',
    visitors: 'Unique conversions',
    events: 'Total conversions',
    rate: 'Conversion rate',
    empty: 'No goals yet. Add one below to see how many visitors complete it.',
    add: 'Add a goal',
    kind: 'Goal type',
    event: 'Custom event',
    page: 'Page visit',
    eventName: 'Event name',
    pagePath: 'Page path',
    displayName: 'Display name (optional)',
    create: 'Add goal',
    creating: 'Adding…',
    remove: 'Remove',
    confirmRemove: (name: string) => `Remove the goal “${name}”? Its past conversions stay in the data.`,
    kindEvent: 'event',
    kindPage: 'page',
  },
  ru: {
    title: 'Цели',
    hint: 'Цель считает пользовательское событие или посещения страниц по шаблону пути (* — любые символы).',
    goal: 'Цель',
    visitors: 'Уникальные конверсии',
    events: 'Всего конверсий',
    rate: 'Конверсия',
    empty: 'Целей пока нет. Добавьте цель ниже, чтобы видеть, сколько посетителей её достигают.',
    add: 'Добавить цель',
    kind: 'Тип цели',
    event: 'Пользовательское событие',
    page: 'Посещение страницы',
    eventName: 'Название события',
    pagePath: 'Путь страницы',
    displayName: 'Отображаемое имя (необязательно)',
    create: 'Добавить цель',
    creating: 'Добавление…',
    remove: 'Удалить',
    confirmRemove: (name: string) => `Удалить цель «${name}»? Прошлые конверсии останутся в данных.`,
    kindEvent: 'событие',
    kindPage: 'страница',
  },
})

export function GoalsPage({ domain }: { domain: string }) {
  useLocale()
  const t = texts()
  const range = rangeFromQuery(useRoute().params)
  const rangeKey = JSON.stringify(range)
  const goals = useLoad(() => api<{ goals: Goal[] }>('GET', `/api/sites/${encodeURIComponent(domain)}/goals`), [domain])
  const conversions = useLoad(
    () =>
      api<QueryAnswer>('POST', '/api/v2/query', {
        site_id: domain,
        metrics: ['visitors', 'events', 'conversion_rate'],
        dimensions: ['event:goal'],
        ...range,
      }),
    [domain, rangeKey, goals.data],
  )
  const [removeError, setRemoveError] = useState<unknown>()
  const byGoal = new Map((conversions.data?.results ?? []).map((row) => [row.dimensions[0] ?? '', row.metrics]))

  const remove = async (goal: Goal) => {
    if (!confirm(t.confirmRemove(goal.display_name))) return
    setRemoveError(undefined)
    try {
      await api('DELETE', `/api/sites/${encodeURIComponent(domain)}/goals/${goal.id}`)
      goals.reload()
    } catch (error) {
      setRemoveError(error)
    }
  }

  return (
    <div class="page page-goals">
      <h1>{t.title}</h1>
      <p class="muted">{t.hint}</p>
      {goals.loading && !goals.data && <Loading />}
      <ErrorNote error={goals.error} onRetry={goals.reload} />
      <ErrorNote error={conversions.error} onRetry={conversions.reload} />
      <ErrorNote error={removeError} />
      {goals.data && goals.data.goals.length === 0 && <Empty>{t.empty}</Empty>}
      {goals.data && goals.data.goals.length > 0 && (
        <div class="table-wrap">
          <table class="data-table" aria-busy={conversions.loading}>
            <thead>
              <tr>
                <th scope="col">{t.goal}</th>
                <th scope="col" class="num">
                  {t.visitors}
                </th>
                <th scope="col" class="num">
                  {t.events}
                </th>
                <th scope="col" class="num">
                  {t.rate}
                </th>
                <th scope="col">
                  <span class="visually-hidden">{t.remove}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {goals.data.goals.map((goal) => {
                const metrics = byGoal.get(goal.display_name)
                return (
                  <tr key={goal.id} data-goal={goal.display_name}>
                    <th scope="row">
                      {goal.display_name}
                      <span class="muted small"> ({goal.kind === 'event' ? t.kindEvent : t.kindPage}: {goal.kind === 'event' ? goal.event_name : goal.page_path})</span>
                    </th>
                    <td class="num">{conversions.loading ? '…' : formatNumber(metrics?.[0] ?? 0)}</td>
                    <td class="num">{conversions.loading ? '…' : formatNumber(metrics?.[1] ?? 0)}</td>
                    <td class="num">{conversions.loading ? '…' : formatPercent(metrics?.[2] ?? 0)}</td>
                    <td>
                      <button type="button" class="button-link" onClick={() => remove(goal)} aria-label={`${t.remove}: ${goal.display_name}`}>
                        {t.remove}
                      </button>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
      <NewGoal domain={domain} onAdded={goals.reload} />
    </div>
  )
}

function NewGoal({ domain, onAdded }: { domain: string; onAdded(): void }) {
  const t = texts()
  const [kind, setKind] = useState<'event' | 'page'>('event')
  const [value, setValue] = useState('')
  const [displayName, setDisplayName] = useState('')
  const [state, setState] = useState<{ busy: boolean; error?: unknown }>({ busy: false })
  const valueField = kind === 'event' ? 'event_name' : 'page_path'

  const submit = async (event: Event) => {
    event.preventDefault()
    setState({ busy: true })
    try {
      await api('POST', `/api/sites/${encodeURIComponent(domain)}/goals`, {
        kind,
        [valueField]: value.trim(),
        ...(displayName.trim() ? { display_name: displayName.trim() } : {}),
      })
      setValue('')
      setDisplayName('')
      setState({ busy: false })
      onAdded()
    } catch (error) {
      setState({ busy: false, error })
    }
  }

  return (
    <section class="card" aria-labelledby="new-goal-title">
      <h2 id="new-goal-title">{t.add}</h2>
      <form onSubmit={submit} class="form-grid">
        <fieldset class="field">
          <legend>{t.kind}</legend>
          <label class="inline">
            <input type="radio" name="goal-kind" value="event" checked={kind === 'event'} onChange={() => setKind('event')} /> {t.event}
          </label>
          <label class="inline">
            <input type="radio" name="goal-kind" value="page" checked={kind === 'page'} onChange={() => setKind('page')} /> {t.page}
          </label>
        </fieldset>
        <div class="field">
          <label for="goal-value">{kind === 'event' ? t.eventName : t.pagePath}</label>
          <input
            id="goal-value"
            name={valueField}
            value={value}
            placeholder={kind === 'event' ? 'Signup' : '/pricing*'}
            onInput={(event) => setValue(event.currentTarget.value)}
            aria-invalid={errorField(state.error) === valueField}
            aria-describedby="goal-value-error"
            required
          />
          <FieldError error={state.error} field={['event_name', 'page_path', 'kind']} id="goal-value-error" />
        </div>
        <div class="field">
          <label for="goal-display-name">{t.displayName}</label>
          <input id="goal-display-name" name="display_name" value={displayName} onInput={(event) => setDisplayName(event.currentTarget.value)} aria-describedby="goal-display-name-error" />
          <FieldError error={state.error} field="display_name" id="goal-display-name-error" />
        </div>
        <ErrorNote error={state.error} skipFields={['event_name', 'page_path', 'kind', 'display_name']} />
        <div class="actions">
          <button type="submit" disabled={state.busy}>
            {state.busy ? t.creating : t.create}
          </button>
        </div>
      </form>
    </section>
  )
}
