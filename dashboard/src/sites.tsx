// The list of sites the signed-in person may read.
import { useEffect, useState } from 'preact/hooks'
import { api } from './api.ts'
import { localized } from './i18n.ts'
import { Link } from './router.ts'
import { ErrorLine, Loading } from './analytics/states.tsx'

const text = localized({
  en: { title: 'Your sites', empty: 'You have no sites yet. An administrator or a site manager can add one under Administration.', roles: { viewer: 'viewer', manager: 'manager', admin: 'administrator' } as Record<string, string> },
  ru: { title: 'Ваши сайты', empty: 'Сайтов пока нет. Администратор или менеджер сайта может добавить сайт в разделе «Администрирование».', roles: { viewer: 'просмотр', manager: 'менеджер', admin: 'администратор' } as Record<string, string> },
})

export function SitesPage() {
  const t = text()
  const [state, setState] = useState<{ sites?: Array<{ site: { domain: string }; role: string }>; error?: unknown }>({})
  useEffect(() => {
    api<{ sites: Array<{ site: { domain: string }; role: string }> }>('GET', '/api/sites').then((a) => setState({ sites: a.sites }), (error: unknown) => setState({ error }))
  }, [])
  if (state.error) return <ErrorLine error={state.error} />
  if (!state.sites) return <Loading />
  return (
    <section class="panel">
      <h1>{t.title}</h1>
      {state.sites.length === 0 ? <p class="state-empty">{t.empty}</p> : (
        <ul class="site-list">
          {state.sites.map((s) => (
            <li key={s.site.domain}>
              <Link href={`/sites/${encodeURIComponent(s.site.domain)}`}>{s.site.domain}</Link> <span class="muted">{t.roles[s.role] ?? s.role}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
