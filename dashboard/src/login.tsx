// Sign-in, and the notice to accept a new privacy policy or terms before going on.
import { useEffect, useState } from 'preact/hooks'
import { api, ApiError, session, setSession, type Session } from './api.ts'
import { localized } from './i18n.ts'
import { navigate } from './router.ts'

const text = localized({
  en: {
    title: 'Sign in',
    identifier: 'Email or login',
    password: 'Password',
    submit: 'Sign in',
    busy: 'Signing in…',
    wrong: 'The email, login or password is not right. Check them and try again.',
    tooMany: 'Too many attempts. Wait a few minutes and try again.',
    network: 'The server could not be reached. Check your connection and try again.',
    pendingTitle: 'Please review our updated documents',
    pendingText: 'The privacy policy or the terms have changed since you last accepted them. Accept them to continue.',
    privacy: 'Privacy policy',
    terms: 'Terms',
    version: 'version',
    accept: 'Accept and continue',
  },
  ru: {
    title: 'Вход',
    identifier: 'Email или логин',
    password: 'Пароль',
    submit: 'Войти',
    busy: 'Входим…',
    wrong: 'Email, логин или пароль неверны. Проверьте и попробуйте снова.',
    tooMany: 'Слишком много попыток. Подождите несколько минут.',
    network: 'Сервер недоступен. Проверьте подключение и повторите.',
    pendingTitle: 'Ознакомьтесь с обновлёнными документами',
    pendingText: 'Политика конфиденциальности или условия изменились. Примите их, чтобы продолжить.',
    privacy: 'Политика конфиденциальности',
    terms: 'Условия',
    version: 'версия',
    accept: 'Принять и продолжить',
  },
})

/** The login page's address, coming back to the current page after signing in. */
export function loginPath(): string {
  const back = location.pathname + location.search
  return back === '/' || back.startsWith('/login') ? '/login' : `/login?next=${encodeURIComponent(back)}`
}

/** Only our own paths: never send someone to another site after signing in. */
function nextPath(params: URLSearchParams): string {
  const next = params.get('next') ?? ''
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/sites'
}

function message(error: unknown): string {
  const t = text()
  if (error instanceof ApiError) {
    if (error.status === 401) return t.wrong
    if (error.status === 429) return t.tooMany
    return error.message
  }
  return t.network
}

export function LoginPage({ params }: { params: URLSearchParams }) {
  const t = text()
  const [state, setState] = useState<{ busy: boolean; error: unknown; pending: Session['pendingAcceptance'] | null }>({ busy: false, error: null, pending: null })
  const [identifier, setIdentifier] = useState('')
  const [password, setPassword] = useState('')

  const submit = async (event: Event) => {
    event.preventDefault()
    setState({ busy: true, error: null, pending: null })
    try {
      const answer = await api<Session>('POST', '/api/accounts/login', { identifier, password })
      setSession(answer)
      if (answer.pendingAcceptance.length > 0) setState({ busy: false, error: null, pending: answer.pendingAcceptance })
      else navigate(nextPath(params), { replace: true })
    } catch (error) {
      setState({ busy: false, error, pending: null })
    }
  }

  const accept = async (pending: Session['pendingAcceptance']) => {
    setState((s) => ({ ...s, busy: true, error: null }))
    try {
      const body = Object.fromEntries(pending.map((p) => [p.kind, p.version]))
      await api('POST', '/api/account/accept', body)
      await session(true)
      navigate(nextPath(params), { replace: true })
    } catch (error) {
      setState((s) => ({ ...s, busy: false, error }))
    }
  }

  // Someone signed in with documents to accept, landing here from another page.
  useEffect(() => {
    session().then((s) => {
      if (s && s.pendingAcceptance.length > 0) setState((old) => ({ ...old, pending: s.pendingAcceptance }))
    }, () => undefined)
  }, [])

  if (state.pending && state.pending.length > 0) {
    const pending = state.pending
    return (
      <section class="panel narrow" aria-labelledby="pending-title">
        <h1 id="pending-title">{t.pendingTitle}</h1>
        <p>{t.pendingText}</p>
        <ul>
          {pending.map((p) => (
            <li key={p.kind}>
              {p.kind === 'privacy' ? t.privacy : t.terms} ({t.version} {p.version})
            </li>
          ))}
        </ul>
        {state.error ? <p class="state-error" role="alert">{message(state.error)}</p> : null}
        <button type="button" class="button" disabled={state.busy} onClick={() => accept(pending)}>
          {t.accept}
        </button>
      </section>
    )
  }

  return (
    <section class="panel narrow" aria-labelledby="login-title">
      <h1 id="login-title">{t.title}</h1>
      <form onSubmit={submit} class="form">
        <label>
          {t.identifier}
          <input name="identifier" autocomplete="username" required value={identifier} onInput={(e) => setIdentifier(e.currentTarget.value)} />
        </label>
        <label>
          {t.password}
          <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {state.error ? <p class="state-error" role="alert">{message(state.error)}</p> : null}
        <button type="submit" class="button" disabled={state.busy}>
          {state.busy ? t.busy : t.submit}
        </button>
      </form>
    </section>
  )
}
