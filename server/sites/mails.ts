// The invitation to a site's staff, in English and Russian.
import { linkMail } from '../email/index.ts'
import type { SiteRole } from './staff.ts'

export function invitationMail(to: string, site: string, role: SiteRole, language: 'en' | 'ru', url: string) {
  if (language === 'ru') {
    return linkMail(
      to,
      `Приглашение в ${site} на Candor`,
      [
        `Вас приглашают в команду сайта ${site} на Candor (роль: ${role === 'manager' ? 'управляющий' : 'наблюдатель'}).`,
        'Войдите (или зарегистрируйтесь) с этим адресом электронной почты и примите приглашение. Ссылка действует 7 дней.',
      ],
      { url, label: 'Принять приглашение' },
    )
  }
  return linkMail(
    to,
    `You are invited to ${site} on Candor`,
    [
      `You are invited to join the staff of ${site} on Candor as a ${role}.`,
      'Sign in (or create an account) with this email address, then accept the invitation. The link works for 7 days.',
    ],
    { url, label: 'Accept the invitation' },
  )
}
