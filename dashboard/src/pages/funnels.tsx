// Funnels: the site's saved funnels, a form for a new one (2 to 8 steps, each a page path or a
// custom event), and the chosen funnel's result in the URL's date range: visitors per step as bars,
// with conversion from the first step, conversion from the previous one, and the drop-off.
import { useState } from 'preact/hooks'
import { api } from '../api.ts'
import { formatNumber, formatPercent, localized, useLocale } from '../i18n.ts'
import { navigate } from '../router.ts'
import { Empty, ErrorNote, FieldError, Loading, errorField, rangeFromQuery, useLoad } from './page-kit.tsx'

interface Step {
  kind: 'event' | 'page'
  value: string
}
interface Funnel {
  id: number
  name: string
  steps: Step[]
}
interface FunnelResult {
  steps: Array<{ label: string; visitors: number; conversion_rate: number; step_conversion_rate: number; dropoff: number }>
}

const MIN_STEPS = 2
const MAX_STEPS = 8

const texts = localized({
  en: {
    title: 'Funnels',
    hint: 'A funnel follows visits through 2 to 8 steps in order, within one visit.',
    saved: 'Saved funnels',
    empty: 'No funnels yet. Create one below.',
    open: 'Show',
    remove: 'Remove',
    confirmRemove: (name: string) => `Remove the funnel “${name}”?`,
    create: 'Create a funnel',
    name: 'Name',
    step: (n: number) => `Step ${n}`,
    kind: 'Type',
    page: 'Page path',
    event: 'Custom event',
    value: 'Value',
    addStep: 'Add a step',
    removeStep: (n: number) => `Remove step ${n}`,
    save: 'Save funnel',
    saving: 'Saving…',
    result: (name: string) => `Funnel: ${name}`,
    visitors: 'Visitors',
    conversion: 'Conversion',
    stepConversion: 'From previous step',
    dropoff: 'Drop-off',
    chartLabel: (name: string) => `Visitors at each step of the funnel ${name}`,
    noVisits: 'No visits reached the first step in this period.',
    choose: 'Choose a funnel to see its conversion.',
  },
  ru: {
    title: 'Воронки',
    hint: 'Воронка прослеживает визиты через 2–8 шагов по порядку, в пределах одного визита.',
    saved: 'Сохранённые воронки',
    empty: 'Воронок пока нет. Создайте воронку ниже.',
    open: 'Показать',
    remove: 'Удалить',
    confirmRemove: (name: string) => `Удалить воронку «${name}»?`,
    create: 'Создать воронку',
    name: 'Название',
    step: (n: number) => `Шаг ${n}`,
    kind: 'Тип',
    page: 'Путь страницы',
    event: 'Пользовательское событие',
    value: 'Значение',
    addStep: 'Добавить шаг',
    removeStep: (n: number) => `Удалить шаг ${n}`,
    save: 'Сохранить воронку',
    saving: 'Сохранение…',
    result: (name: string) => `Воронка: ${name}`,
    visitors: 'Посетители',
    conversion: 'Конверсия',
    stepConversion: 'От предыдущего шага',
    dropoff: 'Отток',
    chartLabel: (name: string) => `Посетители на каждом шаге воронки ${name}`,
    noVisits: 'За этот период ни один визит не дошёл до первого шага.',
    choose: 'Выберите воронку, чтобы увидеть конверсию.',
  },
})

export function FunnelsPage({ domain, query }: { domain: string; query: URLSearchParams }) {
  useLocale()
  const t = texts()
  const site = encodeURIComponent(domain)
  const funnels = useLoad(() => api<{ funnels: Funnel[] }>('GET', `/api/sites/${site}/funnels`), [domain])
  const [removeError, setRemoveError] = useState<unknown>()
  const chosenId = Number(query.get('funnel'))
  const chosen = funnels.data?.funnels.find((funnel) => funnel.id === chosenId)

  const choose = (id: number | null) => {
    const next = new URLSearchParams(query)
    if (id === null) next.delete('funnel')
    else next.set('funnel', String(id))
    const search = next.toString()
    navigate(`${location.pathname}${search ? `?${search}` : ''}`)
  }
  const remove = async (funnel: Funnel) => {
    if (!confirm(t.confirmRemove(funnel.name))) return
    setRemoveError(undefined)
    try {
      await api('DELETE', `/api/sites/${site}/funnels/${funnel.id}`)
      if (funnel.id === chosenId) choose(null)
      funnels.reload()
    } catch (error) {
      setRemoveError(error)
    }
  }

  return (
    <div class="page page-funnels">
      <h1>{t.title}</h1>
      <p class="muted">{t.hint}</p>
      <section class="card" aria-labelledby="funnels-saved">
        <h2 id="funnels-saved">{t.saved}</h2>
        {funnels.loading && !funnels.data && <Loading />}
        <ErrorNote error={funnels.error} onRetry={funnels.reload} />
        <ErrorNote error={removeError} />
        {funnels.data && funnels.data.funnels.length === 0 && <Empty>{t.empty}</Empty>}
        {funnels.data && funnels.data.funnels.length > 0 && (
          <ul class="plain-list">
            {funnels.data.funnels.map((funnel) => (
              <li key={funnel.id} class={funnel.id === chosenId ? 'selected' : ''}>
                <button type="button" class="button-link" aria-pressed={funnel.id === chosenId} onClick={() => choose(funnel.id)}>
                  {funnel.name}
                </button>
                <span class="muted small"> ({funnel.steps.map((step) => step.value).join(' → ')})</span>
                <button type="button" class="button-link danger" aria-label={`${t.remove}: ${funnel.name}`} onClick={() => remove(funnel)}>
                  {t.remove}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      {chosen ? <FunnelResultView domain={domain} funnel={chosen} query={query} /> : funnels.data && funnels.data.funnels.length > 0 && <p class="muted">{t.choose}</p>}
      <NewFunnel
        domain={domain}
        onSaved={(funnel) => {
          funnels.reload()
          choose(funnel.id)
        }}
      />
    </div>
  )
}

function FunnelResultView({ domain, funnel, query }: { domain: string; funnel: Funnel; query: URLSearchParams }) {
  const t = texts()
  const range = rangeFromQuery(query)
  const result = useLoad(
    () => api<FunnelResult>('POST', '/api/v2/funnel', { site_id: domain, ...range, steps: funnel.steps }),
    [domain, funnel.id, JSON.stringify(range)],
  )
  return (
    <section class="card" aria-labelledby="funnel-result-title" aria-busy={result.loading}>
      <h2 id="funnel-result-title">{t.result(funnel.name)}</h2>
      {result.loading && !result.data && <Loading />}
      <ErrorNote error={result.error} onRetry={result.reload} />
      {result.data && (result.data.steps[0]?.visitors ?? 0) === 0 && <Empty>{t.noVisits}</Empty>}
      {result.data && <FunnelChart name={funnel.name} steps={result.data.steps} />}
    </section>
  )
}

const BAR_HEIGHT = 28
const ROW = 64
const CHART_WIDTH = 640
const LABEL_WIDTH = 0

function FunnelChart({ name, steps }: { name: string; steps: FunnelResult['steps'] }) {
  const t = texts()
  const first = steps[0]?.visitors ?? 0
  const height = steps.length * ROW
  return (
    <div class="funnel">
      <svg viewBox={`0 0 ${CHART_WIDTH} ${height}`} role="img" aria-labelledby="funnel-chart-title" class="funnel-svg">
        <title id="funnel-chart-title">{t.chartLabel(name)}</title>
        {steps.map((step, index) => {
          const width = first > 0 ? Math.max(2, ((CHART_WIDTH - LABEL_WIDTH) * step.visitors) / first) : 2
          const y = index * ROW
          return (
            <g key={index} class="funnel-step">
              <title>{`${t.step(index + 1)}: ${step.label} — ${formatNumber(step.visitors)} ${t.visitors.toLowerCase()}, ${formatPercent(step.conversion_rate)}`}</title>
              <text x={0} y={y + 16} class="chart-label">
                {`${index + 1}. ${step.label}`}
              </text>
              <rect x={LABEL_WIDTH} y={y + 24} width={CHART_WIDTH - LABEL_WIDTH} height={BAR_HEIGHT} class="bar-track" rx={3} />
              <rect x={LABEL_WIDTH} y={y + 24} width={width} height={BAR_HEIGHT} class="bar" rx={3} />
              <text x={CHART_WIDTH - 6} y={y + 43} text-anchor="end" class="chart-value">
                {`${formatNumber(step.visitors)} · ${formatPercent(step.conversion_rate)}`}
              </text>
            </g>
          )
        })}
      </svg>
      <div class="table-wrap">
        <table class="data-table funnel-table">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">{t.value}</th>
              <th scope="col" class="num">
                {t.visitors}
              </th>
              <th scope="col" class="num">
                {t.conversion}
              </th>
              <th scope="col" class="num">
                {t.stepConversion}
              </th>
              <th scope="col" class="num">
                {t.dropoff}
              </th>
            </tr>
          </thead>
          <tbody>
            {steps.map((step, index) => (
              <tr key={index} data-step={index + 1}>
                <td>{index + 1}</td>
                <th scope="row">{step.label}</th>
                <td class="num" data-metric="visitors">
                  {formatNumber(step.visitors)}
                </td>
                <td class="num" data-metric="conversion_rate">
                  {formatPercent(step.conversion_rate)}
                </td>
                <td class="num" data-metric="step_conversion_rate">
                  {index === 0 ? '—' : formatPercent(step.step_conversion_rate)}
                </td>
                <td class="num" data-metric="dropoff">
                  {index === 0 ? '—' : formatNumber(step.dropoff)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}

function NewFunnel({ domain, onSaved }: { domain: string; onSaved(funnel: Funnel): void }) {
  const t = texts()
  const [name, setName] = useState('')
  const [steps, setSteps] = useState<Step[]>([
    { kind: 'page', value: '' },
    { kind: 'page', value: '' },
  ])
  const [state, setState] = useState<{ busy: boolean; error?: unknown }>({ busy: false })
  const setStep = (index: number, change: Partial<Step>) => setSteps(steps.map((step, i) => (i === index ? { ...step, ...change } : step)))

  const submit = async (event: Event) => {
    event.preventDefault()
    setState({ busy: true })
    try {
      const funnel = await api<Funnel>('POST', `/api/sites/${encodeURIComponent(domain)}/funnels`, {
        name: name.trim(),
        steps: steps.map((step) => ({ kind: step.kind, value: step.value.trim() })),
      })
      setName('')
      setSteps([
        { kind: 'page', value: '' },
        { kind: 'page', value: '' },
      ])
      setState({ busy: false })
      onSaved(funnel)
    } catch (error) {
      setState({ busy: false, error })
    }
  }

  return (
    <section class="card" aria-labelledby="new-funnel-title">
      <h2 id="new-funnel-title">{t.create}</h2>
      <form onSubmit={submit} class="form-grid">
        <div class="field">
          <label for="funnel-name">{t.name}</label>
          <input id="funnel-name" name="name" value={name} onInput={(event) => setName(event.currentTarget.value)} aria-invalid={errorField(state.error) === 'name'} aria-describedby="funnel-name-error" required />
          <FieldError error={state.error} field="name" id="funnel-name-error" />
        </div>
        <ol class="funnel-steps">
          {steps.map((step, index) => (
            <li key={index} class="funnel-step-row">
              <fieldset>
                <legend>{t.step(index + 1)}</legend>
                <label for={`step-${index}-kind`} class="visually-hidden">
                  {t.kind}
                </label>
                <select id={`step-${index}-kind`} value={step.kind} onChange={(event) => setStep(index, { kind: event.currentTarget.value as Step['kind'] })}>
                  <option value="page">{t.page}</option>
                  <option value="event">{t.event}</option>
                </select>
                <label for={`step-${index}-value`} class="visually-hidden">
                  {t.value}
                </label>
                <input
                  id={`step-${index}-value`}
                  value={step.value}
                  placeholder={step.kind === 'page' ? '/pricing' : 'Signup'}
                  onInput={(event) => setStep(index, { value: event.currentTarget.value })}
                  aria-describedby={`step-${index}-error`}
                  required
                />
                {steps.length > MIN_STEPS && (
                  <button type="button" class="button-link" onClick={() => setSteps(steps.filter((_, i) => i !== index))}>
                    {t.removeStep(index + 1)}
                  </button>
                )}
                <FieldError error={state.error} field={`steps.${index}`} id={`step-${index}-error`} />
              </fieldset>
            </li>
          ))}
        </ol>
        <FieldError error={state.error} field="steps" id="funnel-steps-error" />
        <ErrorNote error={state.error} skipFields={['name', 'steps', ...steps.map((_, i) => `steps.${i}`)]} />
        <div class="actions">
          {steps.length < MAX_STEPS && (
            <button type="button" class="button-secondary" onClick={() => setSteps([...steps, { kind: 'page', value: '' }])}>
              {t.addStep}
            </button>
          )}
          <button type="submit" disabled={state.busy}>
            {state.busy ? t.saving : t.save}
          </button>
        </div>
      </form>
    </section>
  )
}
