// Site administration. Without a domain: the sites I may see and a form to add one. With one: its
// settings (hostnames, time zone, retention, public dashboard and its password), the consent
// configuration and its versions, staff and invitations; and my Stats API keys on both.
import { useState } from 'preact/hooks'
import { api } from '../api.ts'
import { formatNumber, localized, useLocale } from '../i18n.ts'
import { Link } from '../router.ts'
import { DataTable, Empty, ErrorNote, FieldError, Loading, errorField, formatDay, formatInstant, useLoad } from './page-kit.tsx'

interface Site {
  id: number
  domain: string
  aliases: string[]
  timezone: string
  retentionDays: number
  publicDashboard: boolean
  createdAt: string
  /** Whether the public dashboard asks for a password. */
  publicPasswordSet: boolean
}
type Role = 'viewer' | 'manager' | 'admin'
interface Member {
  userId: number
  firstName: string
  lastName: string
  email: string
  login: string
  role: 'viewer' | 'manager'
  since: string
}
interface Invitation {
  email: string
  role: 'viewer' | 'manager'
  expiresAt: string
  acceptedAt: string | null
  createdAt: string
}
interface ApiKey {
  id: number
  name: string
  prefix: string
  site: string | null
  createdAt: string
  lastUsedAt: string | null
}
interface Service {
  id: string
  name: string
  cookies: string[]
}
interface Category {
  id: string
  necessary: boolean
  consentMode: string[]
  services: Service[]
}
interface ConsentVersion {
  version: number
  policyVersion: number
  policyUrl: string | null
  expiryDays: number
  retentionDays: number
  categories: Category[]
  overrides: Record<string, Record<string, unknown>>
  createdAt: string
}
interface ConsentState {
  current: ConsentVersion
  versions: Array<{ version: number; policyVersion: number; createdAt: string }>
}

/** The banner texts a site may override, in the order the form shows them. */
const TEXT_FIELDS = ['title', 'description', 'acceptAll', 'rejectAll', 'preferences', 'save', 'close', 'policy'] as const
const LANGUAGES = ['en', 'ru'] as const

const texts = localized({
  en: {
    title: 'Administration',
    sites: 'Sites',
    domain: 'Domain',
    role: 'My role',
    memberRole: 'Role',
    roles: { viewer: 'Viewer', manager: 'Manager', admin: 'Administrator' } as Record<Role, string>,
    timezone: 'Time zone',
    retention: 'Keep events for (days)',
    created: 'Added',
    noSites: 'No sites yet. Add your first site below.',
    addSite: 'Add a site',
    addSiteHint: 'Administrators, and people who manage a site already, may add sites.',
    add: 'Add site',
    adding: 'Adding…',
    manage: 'Settings',
    back: 'All sites',
    settings: 'Settings',
    aliases: 'Other hostnames (one per line)',
    aliasesHint: 'Events and consent decisions from these hostnames count for this site.',
    publicDashboard: 'Public dashboard',
    publicOn: 'Anyone with the link can see anonymous numbers of this site',
    publicLink: 'Link',
    publicPassword: 'Password for the public dashboard (8 characters or more)',
    passwordSet: 'A password is set.',
    passwordNotSet: 'No password: anyone with the link can open it.',
    setPassword: 'Set password',
    clearPassword: 'Remove password',
    save: 'Save',
    saving: 'Saving…',
    saved: 'Saved.',
    consent: 'Consent banner',
    consentVersion: (version: number, policy: number) => `Configuration version ${version}, policy version ${policy}`,
    categories: 'Categories',
    categoryId: 'Category id',
    consentMode: 'Consent Mode types (comma-separated)',
    services: 'Services, one per line: id | name | cookie, cookie',
    necessaryNote: 'Always on; it keeps the visitor’s choice.',
    addCategory: 'Add a category',
    removeCategory: 'Remove category',
    texts: (language: string) => `Banner texts (${language}) — leave empty to use the built-in ones`,
    textLabels: {
      title: 'Title',
      description: 'Description',
      acceptAll: '“Accept all” button',
      rejectAll: '“Reject all” button',
      preferences: '“Preferences” button',
      save: '“Save” button',
      close: '“Close” button',
      policy: 'Policy link text',
    } as Record<(typeof TEXT_FIELDS)[number], string>,
    categoryTitle: (id: string) => `Title of “${id}”`,
    categoryDescription: (id: string) => `Description of “${id}”`,
    policyUrl: 'Privacy policy URL',
    expiry: 'Ask again after (days)',
    consentRetention: 'Keep consent records for (days)',
    newPolicyVersion: 'Publish a new policy version: every visitor is asked again',
    saveConsent: 'Save as a new version',
    versions: 'Versions',
    version: 'Version',
    policyVersion: 'Policy version',
    staff: 'Staff',
    name: 'Name',
    email: 'Email',
    since: 'Since',
    remove: 'Remove',
    confirmRemoveMember: (name: string) => `Remove ${name} from the staff?`,
    invitations: 'Invitations',
    noInvitations: 'No invitations.',
    invite: 'Invite',
    inviting: 'Inviting…',
    inviteTitle: 'Invite someone',
    language: 'Language of the mail',
    expires: 'Expires',
    accepted: 'Accepted',
    pending: 'Pending',
    keys: 'Stats API keys',
    keysHint: 'A key reads statistics through the Stats API. It is shown once, when it is created.',
    keyName: 'Key name',
    keySite: 'Site',
    allMySites: 'All my sites',
    createKey: 'Create key',
    creating: 'Creating…',
    newKey: 'Your new key — copy it now, it will not be shown again:',
    noKeys: 'No keys yet.',
    prefix: 'Key',
    lastUsed: 'Last used',
    never: 'never',
    revoke: 'Revoke',
    confirmRevoke: (name: string) => `Revoke the key “${name}”? Programs using it stop working.`,
    managersOnly: 'Only managers of this site can change these settings.',
  },
  ru: {
    title: 'Администрирование',
    sites: 'Сайты',
    domain: 'Домен',
    role: 'Моя роль',
    memberRole: 'Роль',
    roles: { viewer: 'Наблюдатель', manager: 'Менеджер', admin: 'Администратор' } as Record<Role, string>,
    timezone: 'Часовой пояс',
    retention: 'Хранить события (дней)',
    created: 'Добавлен',
    noSites: 'Сайтов пока нет. Добавьте первый сайт ниже.',
    addSite: 'Добавить сайт',
    addSiteHint: 'Добавлять сайты могут администраторы и те, кто уже управляет каким-либо сайтом.',
    add: 'Добавить сайт',
    adding: 'Добавление…',
    manage: 'Настройки',
    back: 'Все сайты',
    settings: 'Настройки',
    aliases: 'Другие имена хостов (по одному в строке)',
    aliasesHint: 'События и решения о согласии с этих хостов засчитываются этому сайту.',
    publicDashboard: 'Публичная статистика',
    publicOn: 'Любой, у кого есть ссылка, видит анонимные числа этого сайта',
    publicLink: 'Ссылка',
    publicPassword: 'Пароль публичной статистики (не менее 8 символов)',
    passwordSet: 'Пароль задан.',
    passwordNotSet: 'Пароля нет: открыть может любой, у кого есть ссылка.',
    setPassword: 'Задать пароль',
    clearPassword: 'Убрать пароль',
    save: 'Сохранить',
    saving: 'Сохранение…',
    saved: 'Сохранено.',
    consent: 'Баннер согласия',
    consentVersion: (version: number, policy: number) => `Версия конфигурации ${version}, версия политики ${policy}`,
    categories: 'Категории',
    categoryId: 'Id категории',
    consentMode: 'Типы Consent Mode (через запятую)',
    services: 'Сервисы, по одному в строке: id | название | cookie, cookie',
    necessaryNote: 'Всегда включена; хранит выбор посетителя.',
    addCategory: 'Добавить категорию',
    removeCategory: 'Удалить категорию',
    texts: (language: string) => `Тексты баннера (${language}) — оставьте пустыми, чтобы использовать встроенные`,
    textLabels: {
      title: 'Заголовок',
      description: 'Описание',
      acceptAll: 'Кнопка «Принять всё»',
      rejectAll: 'Кнопка «Отклонить всё»',
      preferences: 'Кнопка «Настройки»',
      save: 'Кнопка «Сохранить»',
      close: 'Кнопка «Закрыть»',
      policy: 'Текст ссылки на политику',
    } as Record<(typeof TEXT_FIELDS)[number], string>,
    categoryTitle: (id: string) => `Название «${id}»`,
    categoryDescription: (id: string) => `Описание «${id}»`,
    policyUrl: 'Адрес политики конфиденциальности',
    expiry: 'Спрашивать снова через (дней)',
    consentRetention: 'Хранить записи о согласии (дней)',
    newPolicyVersion: 'Опубликовать новую версию политики: все посетители ответят заново',
    saveConsent: 'Сохранить как новую версию',
    versions: 'Версии',
    version: 'Версия',
    policyVersion: 'Версия политики',
    staff: 'Сотрудники',
    name: 'Имя',
    email: 'Эл. почта',
    since: 'С',
    remove: 'Удалить',
    confirmRemoveMember: (name: string) => `Удалить ${name} из сотрудников?`,
    invitations: 'Приглашения',
    noInvitations: 'Приглашений нет.',
    invite: 'Пригласить',
    inviting: 'Отправка…',
    inviteTitle: 'Пригласить сотрудника',
    language: 'Язык письма',
    expires: 'Истекает',
    accepted: 'Принято',
    pending: 'Ожидает',
    keys: 'Ключи Stats API',
    keysHint: 'Ключ даёт доступ к статистике через Stats API. Он показывается один раз, при создании.',
    keyName: 'Название ключа',
    keySite: 'Сайт',
    allMySites: 'Все мои сайты',
    createKey: 'Создать ключ',
    creating: 'Создание…',
    newKey: 'Ваш новый ключ — скопируйте его сейчас, больше он показан не будет:',
    noKeys: 'Ключей пока нет.',
    prefix: 'Ключ',
    lastUsed: 'Использован',
    never: 'никогда',
    revoke: 'Отозвать',
    confirmRevoke: (name: string) => `Отозвать ключ «${name}»? Программы, использующие его, перестанут работать.`,
    managersOnly: 'Менять эти настройки могут только менеджеры сайта.',
  },
})

const site = (domain: string) => `/api/sites/${encodeURIComponent(domain)}`

/** The IANA time zones this browser knows, with UTC first. */
function timeZones(): string[] {
  const supported = (Intl as unknown as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? []
  return ['UTC', ...supported.filter((zone) => zone !== 'UTC')]
}

export function AdminPage({ domain }: { domain?: string }) {
  useLocale()
  const t = texts()
  return (
    <div class="page page-admin">
      <h1>{t.title}</h1>
      {domain ? <SiteAdmin domain={domain} /> : <SiteList />}
      <Keys />
    </div>
  )
}

function SiteList() {
  const t = texts()
  const sites = useLoad(() => api<{ sites: Array<{ site: Site; role: Role }> }>('GET', '/api/sites'), [])
  return (
    <>
      <section class="card" aria-labelledby="admin-sites">
        <h2 id="admin-sites">{t.sites}</h2>
        {sites.loading && !sites.data && <Loading />}
        <ErrorNote error={sites.error} onRetry={sites.reload} />
        {sites.data && sites.data.sites.length === 0 && <Empty>{t.noSites}</Empty>}
        {sites.data && sites.data.sites.length > 0 && (
          <DataTable
            rows={sites.data.sites}
            rowKey={({ site: s }) => s.id}
            columns={[
              { label: t.domain, cell: ({ site: s }) => <Link href={`/admin/${encodeURIComponent(s.domain)}`}>{s.domain}</Link> },
              { label: t.role, cell: ({ role }) => t.roles[role] },
              { label: t.timezone, cell: ({ site: s }) => s.timezone },
              { label: t.retention, numeric: true, cell: ({ site: s }) => formatNumber(s.retentionDays) },
              { label: t.created, cell: ({ site: s }) => formatDay(s.createdAt) },
            ]}
          />
        )}
      </section>
      <NewSite onAdded={sites.reload} />
    </>
  )
}

function NewSite({ onAdded }: { onAdded(): void }) {
  const t = texts()
  const [form, setForm] = useState({ domain: '', timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', retentionDays: '' })
  const [state, setState] = useState<{ busy: boolean; error?: unknown }>({ busy: false })
  const submit = async (event: Event) => {
    event.preventDefault()
    setState({ busy: true })
    try {
      await api('POST', '/api/sites', {
        domain: form.domain.trim(),
        timezone: form.timezone,
        ...(form.retentionDays ? { retentionDays: Number(form.retentionDays) } : {}),
      })
      setForm({ ...form, domain: '' })
      setState({ busy: false })
      onAdded()
    } catch (error) {
      setState({ busy: false, error })
    }
  }
  return (
    <section class="card" aria-labelledby="admin-new-site">
      <h2 id="admin-new-site">{t.addSite}</h2>
      <p class="muted">{t.addSiteHint}</p>
      <form onSubmit={submit} class="form-grid">
        <div class="field">
          <label for="new-site-domain">{t.domain}</label>
          <input id="new-site-domain" value={form.domain} placeholder="example.com" onInput={(event) => setForm({ ...form, domain: event.currentTarget.value })} aria-invalid={errorField(state.error) === 'domain'} aria-describedby="new-site-domain-error" required />
          <FieldError error={state.error} field="domain" id="new-site-domain-error" />
        </div>
        <TimeZoneSelect id="new-site-timezone" value={form.timezone} onChange={(timezone) => setForm({ ...form, timezone })} error={state.error} />
        <div class="field">
          <label for="new-site-retention">{t.retention}</label>
          <input id="new-site-retention" type="number" min={1} max={36500} value={form.retentionDays} placeholder="730" onInput={(event) => setForm({ ...form, retentionDays: event.currentTarget.value })} aria-describedby="new-site-retention-error" />
          <FieldError error={state.error} field="retentionDays" id="new-site-retention-error" />
        </div>
        <ErrorNote error={state.error} skipFields={['domain', 'timezone', 'retentionDays']} />
        <div class="actions">
          <button type="submit" disabled={state.busy}>
            {state.busy ? t.adding : t.add}
          </button>
        </div>
      </form>
    </section>
  )
}

function TimeZoneSelect({ id, value, onChange, error }: { id: string; value: string; onChange(zone: string): void; error: unknown }) {
  const t = texts()
  const zones = timeZones()
  if (!zones.includes(value)) zones.push(value)
  return (
    <div class="field">
      <label for={id}>{t.timezone}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.currentTarget.value)} aria-describedby={`${id}-error`}>
        {zones.map((zone) => (
          <option key={zone} value={zone}>
            {zone}
          </option>
        ))}
      </select>
      <FieldError error={error} field="timezone" id={`${id}-error`} />
    </div>
  )
}

function SiteAdmin({ domain }: { domain: string }) {
  const t = texts()
  const loaded = useLoad(() => api<{ site: Site; role: Role }>('GET', site(domain)), [domain])
  return (
    <>
      <p>
        <Link href="/admin">← {t.back}</Link>
      </p>
      {loaded.loading && !loaded.data && <Loading />}
      <ErrorNote error={loaded.error} onRetry={loaded.reload} />
      {loaded.data && (
        <>
          <h2 class="site-title">{loaded.data.site.domain}</h2>
          {loaded.data.role === 'viewer' ? (
            <p class="note">{t.managersOnly}</p>
          ) : (
            <>
              <SiteSettings initial={loaded.data.site} />
              <ConsentConfig domain={loaded.data.site.domain} />
              <Staff domain={loaded.data.site.domain} />
            </>
          )}
        </>
      )}
    </>
  )
}

function SiteSettings({ initial }: { initial: Site }) {
  const t = texts()
  const [current, setCurrent] = useState(initial)
  const [form, setForm] = useState({ aliases: initial.aliases.join('\n'), timezone: initial.timezone, retentionDays: String(initial.retentionDays), publicDashboard: initial.publicDashboard })
  const [state, setState] = useState<{ busy: boolean; error?: unknown; saved?: boolean }>({ busy: false })
  const [password, setPassword] = useState('')
  const [passwordState, setPasswordState] = useState<{ busy: boolean; error?: unknown; saved?: boolean }>({ busy: false })
  const passwordSet = current.publicPasswordSet

  const submit = async (event: Event) => {
    event.preventDefault()
    setState({ busy: true })
    try {
      const next = await api<Site>('PATCH', site(current.domain), {
        aliases: form.aliases
          .split(/[\s,]+/)
          .map((alias) => alias.trim())
          .filter(Boolean),
        timezone: form.timezone,
        retentionDays: Number(form.retentionDays),
        publicDashboard: form.publicDashboard,
      })
      setCurrent(next)
      setState({ busy: false, saved: true })
    } catch (error) {
      setState({ busy: false, error })
    }
  }
  const changePassword = async (value: string | null) => {
    setPasswordState({ busy: true })
    try {
      const next = await api<Site>('PATCH', site(current.domain), { publicPassword: value })
      setCurrent(next)
      setPassword('')
      setPasswordState({ busy: false, saved: true })
    } catch (error) {
      setPasswordState({ busy: false, error })
    }
  }
  const shareUrl = `${location.origin}/share/${encodeURIComponent(current.domain)}`

  return (
    <section class="card" aria-labelledby="site-settings">
      <h3 id="site-settings">{t.settings}</h3>
      <form onSubmit={submit} class="form-grid">
        <div class="field">
          <label for="site-aliases">{t.aliases}</label>
          <textarea id="site-aliases" rows={3} value={form.aliases} onInput={(event) => setForm({ ...form, aliases: event.currentTarget.value })} aria-describedby="site-aliases-hint site-aliases-error" />
          <span class="muted small" id="site-aliases-hint">
            {t.aliasesHint}
          </span>
          <FieldError error={state.error} field="aliases" id="site-aliases-error" />
        </div>
        <TimeZoneSelect id="site-timezone" value={form.timezone} onChange={(timezone) => setForm({ ...form, timezone })} error={state.error} />
        <div class="field">
          <label for="site-retention">{t.retention}</label>
          <input id="site-retention" type="number" min={1} max={36500} value={form.retentionDays} onInput={(event) => setForm({ ...form, retentionDays: event.currentTarget.value })} aria-describedby="site-retention-error" required />
          <FieldError error={state.error} field="retentionDays" id="site-retention-error" />
        </div>
        <div class="field">
          <label class="inline">
            <input type="checkbox" checked={form.publicDashboard} onChange={(event) => setForm({ ...form, publicDashboard: event.currentTarget.checked })} /> {t.publicOn}
          </label>
          {current.publicDashboard && (
            <span class="small">
              {t.publicLink}: <a href={shareUrl}>{shareUrl}</a>
            </span>
          )}
        </div>
        <ErrorNote error={state.error} skipFields={['aliases', 'timezone', 'retentionDays']} />
        {state.saved && (
          <p class="state-ok" role="status">
            {t.saved}
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={state.busy}>
            {state.busy ? t.saving : t.save}
          </button>
        </div>
      </form>
      <form
        class="form-grid"
        onSubmit={(event) => {
          event.preventDefault()
          changePassword(password)
        }}
      >
        <div class="field">
          <label for="site-public-password">{t.publicPassword}</label>
          <input id="site-public-password" type="password" autocomplete="new-password" minLength={8} maxLength={200} value={password} onInput={(event) => setPassword(event.currentTarget.value)} aria-describedby="site-public-password-state site-public-password-error" />
          <span class="muted small" id="site-public-password-state">
            {passwordSet ? t.passwordSet : t.passwordNotSet}
          </span>
          <FieldError error={passwordState.error} field="publicPassword" id="site-public-password-error" />
        </div>
        <ErrorNote error={passwordState.error} skipFields={['publicPassword']} />
        {passwordState.saved && (
          <p class="state-ok" role="status">
            {t.saved}
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={passwordState.busy || password.length < 8}>
            {t.setPassword}
          </button>
          {passwordSet && (
            <button type="button" class="button-secondary" disabled={passwordState.busy} onClick={() => changePassword(null)}>
              {t.clearPassword}
            </button>
          )}
        </div>
      </form>
    </section>
  )
}

interface CategoryDraft {
  id: string
  necessary: boolean
  consentMode: string
  services: string
}
interface ConsentDraft {
  categories: CategoryDraft[]
  texts: Record<string, Record<string, string>>
  policyUrl: string
  expiryDays: string
  retentionDays: string
  newPolicyVersion: boolean
}

function draftOf(version: ConsentVersion): ConsentDraft {
  const texts: Record<string, Record<string, string>> = {}
  for (const language of LANGUAGES) {
    const own = (version.overrides[language] ?? {}) as Record<string, unknown>
    const entry: Record<string, string> = {}
    for (const field of TEXT_FIELDS) entry[field] = typeof own[field] === 'string' ? (own[field] as string) : ''
    const categories = (own.categories ?? {}) as Record<string, { title?: string; description?: string }>
    for (const category of version.categories) {
      entry[`category:${category.id}:title`] = categories[category.id]?.title ?? ''
      entry[`category:${category.id}:description`] = categories[category.id]?.description ?? ''
    }
    texts[language] = entry
  }
  return {
    categories: version.categories.map((category) => ({
      id: category.id,
      necessary: category.necessary,
      consentMode: category.consentMode.join(', '),
      services: category.services.map((service) => [service.id, service.name, service.cookies.join(', ')].join(' | ')).join('\n'),
    })),
    texts,
    policyUrl: version.policyUrl ?? '',
    expiryDays: String(version.expiryDays),
    retentionDays: String(version.retentionDays),
    newPolicyVersion: false,
  }
}

const list = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)

/** The request body of POST /api/sites/:domain/consent/versions from the form. */
function changesOf(draft: ConsentDraft): Record<string, unknown> {
  const texts: Record<string, unknown> = {}
  for (const language of LANGUAGES) {
    const entry = draft.texts[language] ?? {}
    const own: Record<string, unknown> = {}
    for (const field of TEXT_FIELDS) if (entry[field]?.trim()) own[field] = entry[field]!.trim()
    const categories: Record<string, { title?: string; description?: string }> = {}
    for (const category of draft.categories) {
      const title = entry[`category:${category.id}:title`]?.trim()
      const description = entry[`category:${category.id}:description`]?.trim()
      if (title || description) categories[category.id] = { ...(title ? { title } : {}), ...(description ? { description } : {}) }
    }
    if (Object.keys(categories).length > 0) own.categories = categories
    texts[language] = Object.keys(own).length > 0 ? own : null
  }
  return {
    categories: draft.categories.map((category) => ({
      id: category.id.trim(),
      consentMode: list(category.consentMode),
      services: category.services
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .map((line) => {
          const [id = '', name = '', cookies = ''] = line.split('|').map((part) => part.trim())
          return { id, name: name || id, cookies: list(cookies) }
        }),
    })),
    texts,
    policyUrl: draft.policyUrl.trim() || null,
    expiryDays: Number(draft.expiryDays),
    retentionDays: Number(draft.retentionDays),
    ...(draft.newPolicyVersion ? { newPolicyVersion: true } : {}),
  }
}

function ConsentConfig({ domain }: { domain: string }) {
  const t = texts()
  const loaded = useLoad(() => api<ConsentState>('GET', `${site(domain)}/consent`), [domain])
  return (
    <section class="card" aria-labelledby="site-consent">
      <h3 id="site-consent">{t.consent}</h3>
      {loaded.loading && !loaded.data && <Loading />}
      <ErrorNote error={loaded.error} onRetry={loaded.reload} />
      {loaded.data && <ConsentForm key={loaded.data.current.version} domain={domain} state={loaded.data} onSaved={loaded.reload} />}
      {loaded.data && (
        <details>
          <summary>{t.versions}</summary>
          <DataTable
            wrap={false}
            rows={loaded.data.versions}
            rowKey={(version) => version.version}
            columns={[
              { label: t.version, cell: (version) => version.version },
              { label: t.policyVersion, cell: (version) => version.policyVersion },
              { label: t.created, cell: (version) => formatInstant(version.createdAt) },
            ]}
          />
        </details>
      )}
    </section>
  )
}

function ConsentForm({ domain, state: loaded, onSaved }: { domain: string; state: ConsentState; onSaved(): void }) {
  const t = texts()
  const [draft, setDraft] = useState(() => draftOf(loaded.current))
  const [state, setState] = useState<{ busy: boolean; error?: unknown }>({ busy: false })
  const setCategory = (index: number, change: Partial<CategoryDraft>) => setDraft({ ...draft, categories: draft.categories.map((category, i) => (i === index ? { ...category, ...change } : category)) })
  const setText = (language: string, key: string, value: string) => setDraft({ ...draft, texts: { ...draft.texts, [language]: { ...draft.texts[language], [key]: value } } })

  const submit = async (event: Event) => {
    event.preventDefault()
    setState({ busy: true })
    try {
      await api('POST', `${site(domain)}/consent/versions`, changesOf(draft))
      setState({ busy: false })
      onSaved()
    } catch (error) {
      setState({ busy: false, error })
    }
  }
  const known = ['categories', 'texts', 'policyUrl', 'expiryDays', 'retentionDays']

  return (
    <form onSubmit={submit} class="form-grid consent-form">
      <p class="muted">{t.consentVersion(loaded.current.version, loaded.current.policyVersion)}</p>
      <fieldset>
        <legend>{t.categories}</legend>
        {draft.categories.map((category, index) => (
          <div key={index} class="category-editor">
            <div class="field">
              <label for={`category-${index}-id`}>{t.categoryId}</label>
              <input id={`category-${index}-id`} value={category.id} readOnly={category.necessary} onInput={(event) => setCategory(index, { id: event.currentTarget.value })} aria-describedby={`category-${index}-error`} required />
              {category.necessary && <span class="muted small">{t.necessaryNote}</span>}
            </div>
            <div class="field">
              <label for={`category-${index}-mode`}>{t.consentMode}</label>
              <input id={`category-${index}-mode`} value={category.consentMode} onInput={(event) => setCategory(index, { consentMode: event.currentTarget.value })} />
            </div>
            <div class="field">
              <label for={`category-${index}-services`}>{t.services}</label>
              <textarea id={`category-${index}-services`} rows={3} value={category.services} onInput={(event) => setCategory(index, { services: event.currentTarget.value })} />
            </div>
            <FieldError error={state.error} field={`categories.${index}`} id={`category-${index}-error`} />
            {!category.necessary && (
              <button type="button" class="button-link" onClick={() => setDraft({ ...draft, categories: draft.categories.filter((_, i) => i !== index) })}>
                {t.removeCategory}
              </button>
            )}
          </div>
        ))}
        <FieldError error={state.error} field="categories" id="categories-error" />
        <button type="button" class="button-secondary" onClick={() => setDraft({ ...draft, categories: [...draft.categories, { id: '', necessary: false, consentMode: '', services: '' }] })}>
          {t.addCategory}
        </button>
      </fieldset>
      {LANGUAGES.map((language) => (
        <details key={language}>
          <summary>{t.texts(language)}</summary>
          <div class="form-grid" lang={language}>
            {TEXT_FIELDS.map((field) => (
              <div class="field" key={field}>
                <label for={`text-${language}-${field}`}>{t.textLabels[field]}</label>
                {field === 'description' ? (
                  <textarea id={`text-${language}-${field}`} rows={3} value={draft.texts[language]?.[field] ?? ''} onInput={(event) => setText(language, field, event.currentTarget.value)} />
                ) : (
                  <input id={`text-${language}-${field}`} value={draft.texts[language]?.[field] ?? ''} onInput={(event) => setText(language, field, event.currentTarget.value)} />
                )}
              </div>
            ))}
            {draft.categories
              .filter((category) => category.id)
              .map((category) => (
                <div key={category.id} class="field">
                  <label for={`text-${language}-${category.id}-title`}>{t.categoryTitle(category.id)}</label>
                  <input id={`text-${language}-${category.id}-title`} value={draft.texts[language]?.[`category:${category.id}:title`] ?? ''} onInput={(event) => setText(language, `category:${category.id}:title`, event.currentTarget.value)} />
                  <label for={`text-${language}-${category.id}-description`}>{t.categoryDescription(category.id)}</label>
                  <textarea id={`text-${language}-${category.id}-description`} rows={2} value={draft.texts[language]?.[`category:${category.id}:description`] ?? ''} onInput={(event) => setText(language, `category:${category.id}:description`, event.currentTarget.value)} />
                </div>
              ))}
            <FieldError error={state.error} field={`texts.${language}`} id={`texts-${language}-error`} />
          </div>
        </details>
      ))}
      <div class="field">
        <label for="consent-policy-url">{t.policyUrl}</label>
        <input id="consent-policy-url" type="url" value={draft.policyUrl} placeholder="https://example.com/privacy" onInput={(event) => setDraft({ ...draft, policyUrl: event.currentTarget.value })} aria-describedby="consent-policy-url-error" />
        <FieldError error={state.error} field="policyUrl" id="consent-policy-url-error" />
      </div>
      <div class="field">
        <label for="consent-expiry">{t.expiry}</label>
        <input id="consent-expiry" type="number" min={1} max={395} value={draft.expiryDays} onInput={(event) => setDraft({ ...draft, expiryDays: event.currentTarget.value })} aria-describedby="consent-expiry-error" />
        <FieldError error={state.error} field="expiryDays" id="consent-expiry-error" />
      </div>
      <div class="field">
        <label for="consent-retention">{t.consentRetention}</label>
        <input id="consent-retention" type="number" min={1} max={36500} value={draft.retentionDays} onInput={(event) => setDraft({ ...draft, retentionDays: event.currentTarget.value })} aria-describedby="consent-retention-error" />
        <FieldError error={state.error} field="retentionDays" id="consent-retention-error" />
      </div>
      <label class="inline">
        <input type="checkbox" checked={draft.newPolicyVersion} onChange={(event) => setDraft({ ...draft, newPolicyVersion: event.currentTarget.checked })} /> {t.newPolicyVersion}
      </label>
      <ErrorNote error={state.error} skipFields={known} />
      <div class="actions">
        <button type="submit" disabled={state.busy}>
          {state.busy ? t.saving : t.saveConsent}
        </button>
      </div>
    </form>
  )
}

function Staff({ domain }: { domain: string }) {
  const t = texts()
  const members = useLoad(() => api<{ members: Member[] }>('GET', `${site(domain)}/members`), [domain])
  const invitations = useLoad(() => api<{ invitations: Invitation[] }>('GET', `${site(domain)}/invitations`), [domain])
  const [error, setError] = useState<unknown>()
  const [invite, setInvite] = useState({ email: '', role: 'viewer' as 'viewer' | 'manager', language: 'en' as 'en' | 'ru' })
  const [inviteState, setInviteState] = useState<{ busy: boolean; error?: unknown }>({ busy: false })

  const changeRole = async (member: Member, role: 'viewer' | 'manager') => {
    setError(undefined)
    try {
      await api('PATCH', `${site(domain)}/members/${member.userId}`, { role })
    } catch (caught) {
      setError(caught)
    }
    members.reload()
  }
  const removeMember = async (member: Member) => {
    if (!confirm(t.confirmRemoveMember(`${member.firstName} ${member.lastName}`.trim() || member.email))) return
    setError(undefined)
    try {
      await api('DELETE', `${site(domain)}/members/${member.userId}`)
      members.reload()
    } catch (caught) {
      setError(caught)
    }
  }
  const sendInvite = async (event: Event) => {
    event.preventDefault()
    setInviteState({ busy: true })
    try {
      await api('POST', `${site(domain)}/invitations`, { email: invite.email.trim(), role: invite.role, language: invite.language })
      setInvite({ ...invite, email: '' })
      setInviteState({ busy: false })
      invitations.reload()
    } catch (caught) {
      setInviteState({ busy: false, error: caught })
    }
  }

  return (
    <section class="card" aria-labelledby="site-staff">
      <h3 id="site-staff">{t.staff}</h3>
      {members.loading && !members.data && <Loading />}
      <ErrorNote error={members.error} onRetry={members.reload} />
      <ErrorNote error={error} />
      {members.data && (
        <DataTable
          rows={members.data.members}
          rowKey={(member) => member.userId}
          columns={[
            { label: t.name, cell: (member) => `${member.firstName} ${member.lastName}`.trim() || member.login },
            { label: t.email, cell: (member) => member.email },
            {
              label: t.memberRole,
              cell: (member) => (
                <select aria-label={`${t.memberRole}: ${member.email}`} value={member.role} onChange={(event) => changeRole(member, event.currentTarget.value as 'viewer' | 'manager')}>
                  <option value="viewer">{t.roles.viewer}</option>
                  <option value="manager">{t.roles.manager}</option>
                </select>
              ),
            },
            { label: t.since, cell: (member) => formatDay(member.since) },
            {
              label: t.remove,
              hiddenLabel: true,
              cell: (member) => (
                <button type="button" class="button-link danger" onClick={() => removeMember(member)}>
                  {t.remove}
                </button>
              ),
            },
          ]}
        />
      )}
      <h4>{t.invitations}</h4>
      <ErrorNote error={invitations.error} onRetry={invitations.reload} />
      {invitations.data && invitations.data.invitations.length === 0 && <Empty>{t.noInvitations}</Empty>}
      {invitations.data && invitations.data.invitations.length > 0 && (
        <DataTable
          rows={invitations.data.invitations}
          rowKey={(_, index) => index}
          columns={[
            { label: t.email, cell: (invitation) => invitation.email },
            { label: t.memberRole, cell: (invitation) => t.roles[invitation.role] },
            { label: t.expires, cell: (invitation) => formatDay(invitation.expiresAt) },
            { label: t.accepted, cell: (invitation) => (invitation.acceptedAt ? formatDay(invitation.acceptedAt) : t.pending) },
          ]}
        />
      )}
      <form onSubmit={sendInvite} class="form-grid">
        <h4>{t.inviteTitle}</h4>
        <div class="field">
          <label for="invite-email">{t.email}</label>
          <input id="invite-email" type="email" value={invite.email} onInput={(event) => setInvite({ ...invite, email: event.currentTarget.value })} aria-describedby="invite-email-error" required />
          <FieldError error={inviteState.error} field="email" id="invite-email-error" />
        </div>
        <div class="field">
          <label for="invite-role">{t.memberRole}</label>
          <select id="invite-role" value={invite.role} onChange={(event) => setInvite({ ...invite, role: event.currentTarget.value as 'viewer' | 'manager' })}>
            <option value="viewer">{t.roles.viewer}</option>
            <option value="manager">{t.roles.manager}</option>
          </select>
        </div>
        <div class="field">
          <label for="invite-language">{t.language}</label>
          <select id="invite-language" value={invite.language} onChange={(event) => setInvite({ ...invite, language: event.currentTarget.value as 'en' | 'ru' })}>
            <option value="en">English</option>
            <option value="ru">Русский</option>
          </select>
        </div>
        <ErrorNote error={inviteState.error} skipFields={['email']} />
        <div class="actions">
          <button type="submit" disabled={inviteState.busy}>
            {inviteState.busy ? t.inviting : t.invite}
          </button>
        </div>
      </form>
    </section>
  )
}

function Keys() {
  const t = texts()
  const keys = useLoad(() => api<{ keys: ApiKey[] }>('GET', '/api/keys'), [])
  const sites = useLoad(() => api<{ sites: Array<{ site: Site }> }>('GET', '/api/sites'), [])
  const [form, setForm] = useState({ name: '', site: '' })
  const [state, setState] = useState<{ busy: boolean; error?: unknown; created?: string }>({ busy: false })
  const [error, setError] = useState<unknown>()

  const create = async (event: Event) => {
    event.preventDefault()
    setState({ busy: true })
    try {
      const answer = await api<{ key: string }>('POST', '/api/keys', { name: form.name.trim(), ...(form.site ? { site: form.site } : {}) })
      setForm({ ...form, name: '' })
      setState({ busy: false, created: answer.key })
      keys.reload()
    } catch (caught) {
      setState({ busy: false, error: caught })
    }
  }
  const revoke = async (key: ApiKey) => {
    if (!confirm(t.confirmRevoke(key.name))) return
    setError(undefined)
    try {
      await api('DELETE', `/api/keys/${key.id}`)
      keys.reload()
    } catch (caught) {
      setError(caught)
    }
  }

  return (
    <section class="card" aria-labelledby="admin-keys">
      <h2 id="admin-keys">{t.keys}</h2>
      <p class="muted">{t.keysHint}</p>
      {keys.loading && !keys.data && <Loading />}
      <ErrorNote error={keys.error} onRetry={keys.reload} />
      <ErrorNote error={error} />
      {keys.data && keys.data.keys.length === 0 && <Empty>{t.noKeys}</Empty>}
      {keys.data && keys.data.keys.length > 0 && (
        <DataTable
          rows={keys.data.keys}
          rowKey={(key) => key.id}
          columns={[
            { label: t.keyName, cell: (key) => key.name },
            { label: t.prefix, cell: (key) => <code>{key.prefix}…</code> },
            { label: t.keySite, cell: (key) => key.site ?? t.allMySites },
            { label: t.created, cell: (key) => formatDay(key.createdAt) },
            { label: t.lastUsed, cell: (key) => (key.lastUsedAt ? formatDay(key.lastUsedAt) : t.never) },
            {
              label: t.revoke,
              hiddenLabel: true,
              cell: (key) => (
                <button type="button" class="button-link danger" onClick={() => revoke(key)}>
                  {t.revoke}
                </button>
              ),
            },
          ]}
        />
      )}
      {state.created && (
        <div class="state-ok" role="status">
          <p>{t.newKey}</p>
          <code class="secret" data-new-key>
            {state.created}
          </code>
        </div>
      )}
      <form onSubmit={create} class="form-grid">
        <div class="field">
          <label for="key-name">{t.keyName}</label>
          <input id="key-name" value={form.name} maxLength={100} onInput={(event) => setForm({ ...form, name: event.currentTarget.value })} aria-describedby="key-name-error" required />
          <FieldError error={state.error} field="name" id="key-name-error" />
        </div>
        <div class="field">
          <label for="key-site">{t.keySite}</label>
          <select id="key-site" value={form.site} onChange={(event) => setForm({ ...form, site: event.currentTarget.value })} aria-describedby="key-site-error">
            <option value="">{t.allMySites}</option>
            {sites.data?.sites.map(({ site: s }) => (
              <option key={s.id} value={s.domain}>
                {s.domain}
              </option>
            ))}
          </select>
          <FieldError error={state.error} field="site" id="key-site-error" />
        </div>
        <ErrorNote error={state.error} skipFields={['name', 'site']} />
        <div class="actions">
          <button type="submit" disabled={state.busy}>
            {state.busy ? t.creating : t.createKey}
          </button>
        </div>
      </form>
    </section>
  )
}
