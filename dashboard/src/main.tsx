// The dashboard's entry: the header (locale and theme switches), the routes, and the pages
// that are not on the first screen loaded on demand with import().
import { render, type ComponentType } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import './app.css'
// the pages' shared styles: esbuild does not load a lazily imported module's CSS by itself
import './pages/pages.css'
import { api, session, sessionStore, setSession, type Session } from './api.ts'
import { useStore } from './store.ts'
import { getLocale, localized, setLocale, useLocale, type Locale } from './i18n.ts'
import { Link, navigate, useRoute } from './router.ts'
import { setTheme, useTheme } from './theme.ts'
import { LoginPage, loginPath } from './login.tsx'
import { SitesPage } from './sites.tsx'
import { AnalyticsPage } from './analytics/analytics.tsx'

const text = localized({
  en: {
    skip: 'Skip to content',
    sites: 'Sites',
    account: 'Account',
    admin: 'Administration',
    signOut: 'Sign out',
    language: 'Language',
    dark: 'Dark theme',
    light: 'Light theme',
    loading: 'Loading…',
    notFound: 'This page does not exist.',
    toSites: 'Go to your sites',
    failed: 'This part of the dashboard could not be loaded. Reload the page to try again.',
  },
  ru: {
    skip: 'К содержимому',
    sites: 'Сайты',
    account: 'Аккаунт',
    admin: 'Администрирование',
    signOut: 'Выйти',
    language: 'Язык',
    dark: 'Тёмная тема',
    light: 'Светлая тема',
    loading: 'Загрузка…',
    notFound: 'Такой страницы нет.',
    toSites: 'К вашим сайтам',
    failed: 'Не удалось загрузить эту часть панели. Обновите страницу.',
  },
})

/** A page module loaded when first shown; its export named `name` is the component. */
function lazy<P>(load: () => Promise<Record<string, unknown>>, name: string): ComponentType<P> {
  let loaded: ComponentType<P> | undefined
  let failed = false
  return function Lazy(props: P) {
    const [, setReady] = useState(0)
    useEffect(() => {
      if (loaded || failed) return
      load().then(
        (module) => {
          loaded = module[name] as ComponentType<P>
          setReady((n) => n + 1)
        },
        () => {
          failed = true
          setReady((n) => n + 1)
        },
      )
    }, [])
    if (failed) return <p class="state-error" role="alert">{text().failed}</p>
    if (!loaded) return <p class="state-loading" role="status">{text().loading}</p>
    const Page = loaded as ComponentType<any>
    return <Page {...(props as object)} />
  }
}

const AccountPage = lazy<object>(() => import('./pages/account.tsx'), 'AccountPage')
const AdminPage = lazy<{ domain?: string }>(() => import('./pages/admin.tsx'), 'AdminPage')
const ConsentPage = lazy<{ domain: string }>(() => import('./pages/consent.tsx'), 'ConsentPage')
const GoalsPage = lazy<{ domain: string }>(() => import('./pages/goals.tsx'), 'GoalsPage')
const FunnelsPage = lazy<{ domain: string; query: URLSearchParams }>(() => import('./pages/funnels.tsx'), 'FunnelsPage')
const SharePage = lazy<{ domain: string }>(() => import('./pages/share.tsx'), 'SharePage')

function Header({ user }: { user: Session['user'] | null }) {
  const t = text()
  const locale = useLocale()
  const theme = useTheme()
  const signOut = async () => {
    await api('POST', '/api/accounts/logout').catch(() => undefined)
    setSession(null)
    navigate('/login')
  }
  return (
    <header class="topbar">
      <a class="skip" href="#main">{t.skip}</a>
      <Link href={user ? '/sites' : '/'} class="brand">Candor</Link>
      {user && (
        <nav aria-label="main">
          <Link href="/sites">{t.sites}</Link>
          <Link href="/account">{t.account}</Link>
          <Link href="/admin">{t.admin}</Link>
        </nav>
      )}
      <span class="spacer" />
      <label class="locale">
        <span class="visually-hidden">{t.language}</span>
        <select value={locale} onChange={(e) => setLocale((e.currentTarget as HTMLSelectElement).value as Locale)} data-testid="locale">
          <option value="en">English</option>
          <option value="ru">Русский</option>
        </select>
      </label>
      <button
        type="button"
        class="icon-button"
        data-testid="theme"
        aria-pressed={theme === 'dark'}
        title={theme === 'dark' ? t.light : t.dark}
        onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
      >
        <span aria-hidden="true">{theme === 'dark' ? '☀' : '☾'}</span>
        <span class="visually-hidden">{theme === 'dark' ? t.light : t.dark}</span>
      </button>
      {user && (
        <button type="button" class="button-secondary" onClick={signOut}>
          {t.signOut}
        </button>
      )}
    </header>
  )
}

function NotFound() {
  return (
    <div class="panel">
      <p>{text().notFound}</p>
      <Link href="/sites">{text().toSites}</Link>
    </div>
  )
}

/** Who is signed in: undefined while asking, null when no one is. */
function useSession(): Session | null | undefined {
  const state = useStore(sessionStore)
  useEffect(() => {
    if (state === undefined) session().catch(() => setSession(null))
  }, [state])
  return state
}

/** No one signed in: the login page, coming back here afterwards. */
function ToLogin() {
  useEffect(() => navigate(loginPath(), { replace: true }), [])
  return null
}

function Routes({ path, params, user }: { path: string; params: URLSearchParams; user: Session | null }) {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent)
  const [first, second, third] = parts
  if (first === 'login') return <LoginPage params={params} />
  if (first === 'share' && second) return <SharePage domain={second} />
  if (!user) return <ToLogin />
  if (user.pendingAcceptance.length > 0) return <LoginPage params={params} />
  if (!first || (first === 'sites' && !second)) return <SitesPage />
  if (first === 'sites' && second) {
    if (!third) return <AnalyticsPage domain={second} />
    if (third === 'goals') return <GoalsPage domain={second} />
    if (third === 'funnels') return <FunnelsPage domain={second} query={params} />
    if (third === 'consent') return <ConsentPage domain={second} />
    if (third === 'settings') return <AdminPage domain={second} />
    return <NotFound />
  }
  if (first === 'account') return <AccountPage />
  if (first === 'admin') return second ? <AdminPage domain={second} /> : <AdminPage />
  return <NotFound />
}

function App() {
  useLocale() // the whole tree renders again in the new language
  const { path, params } = useRoute()
  const isPublic = path.startsWith('/share/') || path === '/login'
  const user = useSession()
  if (user === undefined && !isPublic) {
    return (
      <>
        <Header user={null} />
        <main id="main"><p class="state-loading" role="status">{text().loading}</p></main>
      </>
    )
  }
  return (
    <>
      <Header user={user?.user ?? null} />
      <main id="main">
        <Routes path={path} params={params} user={user ?? null} />
      </main>
    </>
  )
}

document.documentElement.lang = getLocale()
render(<App />, document.getElementById('app')!)
