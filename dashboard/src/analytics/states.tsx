// Loading, empty and error lines of the analytics screen.
import { ApiError } from '../api.ts'
import { localized } from '../i18n.ts'

const text = localized({
  en: {
    loading: 'Loading…',
    empty: 'No data for this period and these filters yet.',
    network: 'The server could not be reached. Check your connection; the numbers reload when you change the view.',
    signIn: 'Your session has ended. Sign in again.',
    notFound: 'This site does not exist or you do not have access to it.',
    failed: 'The numbers could not be loaded',
  },
  ru: {
    loading: 'Загрузка…',
    empty: 'За этот период и с этими фильтрами данных пока нет.',
    network: 'Сервер недоступен. Проверьте подключение; данные перезагрузятся при смене вида.',
    signIn: 'Сеанс завершён. Войдите снова.',
    notFound: 'Такого сайта нет, или у вас нет к нему доступа.',
    failed: 'Не удалось загрузить данные',
  },
})

export function errorMessage(error: unknown): string {
  const t = text()
  if (error instanceof ApiError) {
    if (error.status === 401) return t.signIn
    if (error.status === 404 || error.status === 403) return t.notFound
    return `${t.failed}: ${error.message}`
  }
  return t.network
}

export function Loading() {
  return <p class="state-loading" role="status">{text().loading}</p>
}

export function Empty() {
  return <p class="state-empty">{text().empty}</p>
}

export function ErrorLine({ error }: { error: unknown }) {
  return <p class="state-error" role="alert">{errorMessage(error)}</p>
}
