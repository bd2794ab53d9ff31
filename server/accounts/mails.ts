// The mail accounts send, in English and Russian. Links point at PUBLIC_URL; tokens travel only
// in these links and are single-use.
import { linkMail } from '../email/index.ts'

export type Language = 'en' | 'ru'

const TEXTS = {
  en: {
    verify: {
      subject: 'Confirm your email address',
      lines: (name: string) => [`Hello ${name},`, 'please confirm your email address for your Candor account. The link works once, for 48 hours.'],
      label: 'Confirm my address',
    },
    reset: {
      subject: 'Reset your password',
      lines: (name: string) => [`Hello ${name},`, 'someone asked to reset the password of your Candor account. If it was you, choose a new password within an hour; if not, ignore this message.'],
      label: 'Choose a new password',
    },
    change: {
      subject: 'Confirm your new email address',
      lines: (name: string) => [`Hello ${name},`, 'please confirm this address as the new email address of your Candor account. The link works once, for 48 hours.'],
      label: 'Confirm the new address',
    },
  },
  ru: {
    verify: {
      subject: 'Подтвердите адрес электронной почты',
      lines: (name: string) => [`Здравствуйте, ${name}!`, 'Подтвердите адрес электронной почты вашей учётной записи Candor. Ссылка действует один раз в течение 48 часов.'],
      label: 'Подтвердить адрес',
    },
    reset: {
      subject: 'Сброс пароля',
      lines: (name: string) => [`Здравствуйте, ${name}!`, 'Кто-то запросил сброс пароля вашей учётной записи Candor. Если это были вы, задайте новый пароль в течение часа; если нет, просто не обращайте внимания на это письмо.'],
      label: 'Задать новый пароль',
    },
    change: {
      subject: 'Подтвердите новый адрес электронной почты',
      lines: (name: string) => [`Здравствуйте, ${name}!`, 'Подтвердите этот адрес как новый адрес электронной почты вашей учётной записи Candor. Ссылка действует один раз в течение 48 часов.'],
      label: 'Подтвердить новый адрес',
    },
  },
} as const

export const verificationMail = (to: string, name: string, language: Language, url: string) =>
  linkMail(to, TEXTS[language].verify.subject, TEXTS[language].verify.lines(name), { url, label: TEXTS[language].verify.label })

export const resetMail = (to: string, name: string, language: Language, url: string) =>
  linkMail(to, TEXTS[language].reset.subject, TEXTS[language].reset.lines(name), { url, label: TEXTS[language].reset.label })

export const emailChangeMail = (to: string, name: string, language: Language, url: string) =>
  linkMail(to, TEXTS[language].change.subject, TEXTS[language].change.lines(name), { url, label: TEXTS[language].change.label })

