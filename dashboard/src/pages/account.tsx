// The personal account: profile, download of my data, my sessions, deletion of the account, all
// over the accounts API (server/accounts/routes.ts).
import { useState } from 'preact/hooks'
import { api } from '../api.ts'
import { localized, useLocale } from '../i18n.ts'
import { DataTable, ErrorNote, FieldError, Loading, errorField, formatDay, formatInstant, saveJson, useLoad } from './page-kit.tsx'

interface User {
  id: number
  firstName: string
  lastName: string
  email: string
  login: string
  role: 'admin' | 'customer'
  language: 'en' | 'ru'
  emailVerified: boolean
  createdAt: string
}
interface SessionRow {
  device: string
  createdAt: string
  lastSeenAt: string
  expiresAt: string
  current: boolean
}

const texts = localized({
  en: {
    title: 'My account',
    profile: 'Profile',
    firstName: 'First name',
    lastName: 'Last name',
    email: 'Email',
    login: 'Login',
    language: 'Language',
    english: 'English',
    russian: 'Русский',
    save: 'Save',
    saving: 'Saving…',
    saved: 'Saved.',
    emailPending: (email: string) => `We mailed a confirmation link to ${email}. The new address takes effect once you follow it.`,
    unverified: 'Your email address is not confirmed yet.',
    memberSince: 'Member since',
    data: 'My data',
    dataHint: 'One JSON file with everything Candor holds about you.',
    download: 'Download my data',
    downloading: 'Preparing…',
    sessions: 'Signed-in devices',
    device: 'Device',
    started: 'Signed in',
    lastSeen: 'Last active',
    expires: 'Expires',
    thisDevice: 'this device',
    signOut: 'Sign out',
    signOutEverywhere: 'Sign out everywhere',
    noSessions: 'No sessions.',
    danger: 'Delete my account',
    dangerHint:
      'Your personal data is erased everywhere in Candor; only what the law requires is kept, without personal fields. This cannot be undone.',
    password: 'Your password',
    typeDelete: 'Type DELETE to confirm',
    deleteButton: 'Delete my account for good',
    deleting: 'Deleting…',
    deleted: 'Your account has been deleted.',
  },
  ru: {
    title: 'Мой аккаунт',
    profile: 'Профиль',
    firstName: 'Имя',
    lastName: 'Фамилия',
    email: 'Эл. почта',
    login: 'Логин',
    language: 'Язык',
    english: 'English',
    russian: 'Русский',
    save: 'Сохранить',
    saving: 'Сохранение…',
    saved: 'Сохранено.',
    emailPending: (email: string) => `Мы отправили ссылку для подтверждения на ${email}. Новый адрес начнёт действовать, когда вы перейдёте по ней.`,
    unverified: 'Ваш адрес эл. почты ещё не подтверждён.',
    memberSince: 'С нами с',
    data: 'Мои данные',
    dataHint: 'Один файл JSON со всем, что Candor хранит о вас.',
    download: 'Скачать мои данные',
    downloading: 'Готовим…',
    sessions: 'Устройства, где выполнен вход',
    device: 'Устройство',
    started: 'Вход',
    lastSeen: 'Активность',
    expires: 'Истекает',
    thisDevice: 'это устройство',
    signOut: 'Выйти',
    signOutEverywhere: 'Выйти везде',
    noSessions: 'Сеансов нет.',
    danger: 'Удалить мой аккаунт',
    dangerHint:
      'Ваши персональные данные будут стёрты во всём Candor; останется лишь то, что требует закон, без персональных полей. Это нельзя отменить.',
    password: 'Ваш пароль',
    typeDelete: 'Введите DELETE для подтверждения',
    deleteButton: 'Удалить аккаунт навсегда',
    deleting: 'Удаление…',
    deleted: 'Ваш аккаунт удалён.',
  },
})

export function AccountPage() {
  useLocale()
  const t = texts()
  const account = useLoad(() => api<{ user: User }>('GET', '/api/account'), [])
  if (account.loading && !account.data) return <Loading />
  if (!account.data) return <ErrorNote error={account.error} onRetry={account.reload} />
  return (
    <div class="page page-account">
      <h1>{t.title}</h1>
      <Profile user={account.data.user} />
      <MyData />
      <Sessions />
      <DeleteAccount />
    </div>
  )
}

function Profile({ user: initial }: { user: User }) {
  const t = texts()
  const [user, setUser] = useState(initial)
  const [form, setForm] = useState({ firstName: initial.firstName, lastName: initial.lastName, email: initial.email, login: initial.login, language: initial.language })
  const [state, setState] = useState<{ busy: boolean; error?: unknown; saved?: boolean; emailPending?: string | null }>({ busy: false })
  const set = (name: keyof typeof form) => (event: Event) => setForm({ ...form, [name]: (event.currentTarget as HTMLInputElement).value })

  const submit = async (event: Event) => {
    event.preventDefault()
    const changes = Object.fromEntries(Object.entries(form).filter(([key, value]) => user[key as keyof User] !== value))
    if (Object.keys(changes).length === 0) {
      setState({ busy: false, saved: true })
      return
    }
    setState({ busy: true })
    try {
      const answer = await api<{ user: User; emailPending: string | null }>('PATCH', '/api/account', changes)
      setUser(answer.user)
      setForm({ firstName: answer.user.firstName, lastName: answer.user.lastName, email: answer.user.email, login: answer.user.login, language: answer.user.language })
      setState({ busy: false, saved: true, emailPending: answer.emailPending })
    } catch (error) {
      setState({ busy: false, error })
    }
  }

  const field = (name: 'firstName' | 'lastName' | 'email' | 'login', type = 'text', autocomplete?: string) => (
    <div class="field">
      <label for={`profile-${name}`}>{t[name]}</label>
      <input
        id={`profile-${name}`}
        name={name}
        type={type}
        autocomplete={autocomplete}
        value={form[name]}
        onInput={set(name)}
        aria-invalid={errorField(state.error) === name}
        aria-describedby={`profile-${name}-error`}
      />
      <FieldError error={state.error} field={name} id={`profile-${name}-error`} />
    </div>
  )

  return (
    <section class="card" aria-labelledby="profile-title">
      <h2 id="profile-title">{t.profile}</h2>
      {!user.emailVerified && <p class="note">{t.unverified}</p>}
      <form onSubmit={submit} class="form-grid">
        {field('firstName', 'text', 'given-name')}
        {field('lastName', 'text', 'family-name')}
        {field('email', 'email', 'email')}
        {field('login', 'text', 'username')}
        <div class="field">
          <label for="profile-language">{t.language}</label>
          <select id="profile-language" name="language" value={form.language} onChange={set('language')}>
            <option value="en">{t.english}</option>
            <option value="ru">{t.russian}</option>
          </select>
          <FieldError error={state.error} field="language" id="profile-language-error" />
        </div>
        <p class="muted">
          {t.memberSince} {formatDay(user.createdAt)}
        </p>
        <ErrorNote error={state.error} skipFields={['firstName', 'lastName', 'email', 'login', 'language']} />
        {state.saved && (
          <p class="state-ok" role="status">
            {t.saved} {state.emailPending ? t.emailPending(state.emailPending) : ''}
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={state.busy}>
            {state.busy ? t.saving : t.save}
          </button>
        </div>
      </form>
    </section>
  )
}

function MyData() {
  const t = texts()
  const [state, setState] = useState<{ busy: boolean; error?: unknown }>({ busy: false })
  const download = async () => {
    setState({ busy: true })
    try {
      saveJson('candor-my-data.json', await api<unknown>('GET', '/api/account/export'))
      setState({ busy: false })
    } catch (error) {
      setState({ busy: false, error })
    }
  }
  return (
    <section class="card" aria-labelledby="data-title">
      <h2 id="data-title">{t.data}</h2>
      <p>{t.dataHint}</p>
      <ErrorNote error={state.error} onRetry={download} />
      <button type="button" onClick={download} disabled={state.busy}>
        {state.busy ? t.downloading : t.download}
      </button>
    </section>
  )
}

function Sessions() {
  const t = texts()
  const sessions = useLoad(() => api<{ sessions: SessionRow[] }>('GET', '/api/account/sessions'), [])
  const [error, setError] = useState<unknown>()
  const end = async (everywhere: boolean) => {
    try {
      await api('POST', everywhere ? '/api/accounts/logout-everywhere' : '/api/accounts/logout')
      location.assign('/login')
    } catch (caught) {
      setError(caught)
    }
  }
  return (
    <section class="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">{t.sessions}</h2>
      {sessions.loading && !sessions.data && <Loading />}
      <ErrorNote error={sessions.error} onRetry={sessions.reload} />
      <ErrorNote error={error} />
      {sessions.data && sessions.data.sessions.length === 0 && <p class="state-empty">{t.noSessions}</p>}
      {sessions.data && sessions.data.sessions.length > 0 && (
        <DataTable
          rows={sessions.data.sessions}
          rowKey={(_, index) => index}
          columns={[
            {
              label: t.device,
              cell: (session) => (
                <>
                  {session.device}
                  {session.current && <span class="badge"> {t.thisDevice}</span>}
                </>
              ),
            },
            { label: t.started, cell: (session) => formatInstant(session.createdAt) },
            { label: t.lastSeen, cell: (session) => formatInstant(session.lastSeenAt) },
            { label: t.expires, cell: (session) => formatInstant(session.expiresAt) },
          ]}
        />
      )}
      <div class="actions">
        <button type="button" class="button-secondary" onClick={() => end(false)}>
          {t.signOut}
        </button>
        <button type="button" class="button-secondary" onClick={() => end(true)}>
          {t.signOutEverywhere}
        </button>
      </div>
    </section>
  )
}

function DeleteAccount() {
  const t = texts()
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const [state, setState] = useState<{ busy: boolean; error?: unknown; done?: boolean }>({ busy: false })
  const submit = async (event: Event) => {
    event.preventDefault()
    setState({ busy: true })
    try {
      await api('DELETE', '/api/account', { password, confirm })
      setState({ busy: false, done: true })
      setTimeout(() => location.assign('/'), 1500)
    } catch (error) {
      setState({ busy: false, error })
    }
  }
  if (state.done)
    return (
      <section class="card card-danger">
        <p role="status">{t.deleted}</p>
      </section>
    )
  return (
    <section class="card card-danger" aria-labelledby="delete-title">
      <h2 id="delete-title">{t.danger}</h2>
      <p>{t.dangerHint}</p>
      <form onSubmit={submit} class="form-grid">
        <div class="field">
          <label for="delete-password">{t.password}</label>
          <input
            id="delete-password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(event) => setPassword(event.currentTarget.value)}
            aria-describedby="delete-password-error"
            required
          />
          <FieldError error={state.error} field="password" id="delete-password-error" />
        </div>
        <div class="field">
          <label for="delete-confirm">{t.typeDelete}</label>
          <input id="delete-confirm" value={confirm} onInput={(event) => setConfirm(event.currentTarget.value)} autocomplete="off" aria-describedby="delete-confirm-error" required />
          <FieldError error={state.error} field="confirm" id="delete-confirm-error" />
        </div>
        <ErrorNote error={state.error} skipFields={['password', 'confirm']} />
        <div class="actions">
          <button type="submit" class="button-danger" disabled={state.busy || confirm !== 'DELETE' || password.length === 0}>
            {state.busy ? t.deleting : t.deleteButton}
          </button>
        </div>
      </form>
    </section>
  )
}
