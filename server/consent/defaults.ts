// What a site's banner starts with: the categories the privacy policy names (necessary, analytics
// with Candor, Google Analytics and Yandex Metrica, marketing) and the built-in texts in English
// and Russian. The texts live here rather than in the banner bundle, which must stay small; the
// server sends them with the site's configuration, merged with the site's own.
import type { BannerCategory, BannerTexts } from '../../tracker/consent/protocol.ts'

export const DEFAULT_EXPIRY_DAYS = 182
/** Consent records are proof; five years covers the limitation periods of most jurisdictions. */
export const DEFAULT_CONSENT_RETENTION_DAYS = 1826
export const CONSENT_COOKIE = 'candor_consent'

export const DEFAULT_CATEGORIES: readonly BannerCategory[] = [
  {
    id: 'necessary',
    necessary: true,
    consentMode: ['functionality_storage', 'security_storage'],
    services: [{ id: 'candor-consent', name: 'Candor consent', cookies: [CONSENT_COOKIE] }],
  },
  {
    id: 'analytics',
    necessary: false,
    consentMode: ['analytics_storage'],
    services: [
      { id: 'candor', name: 'Candor Analytics', cookies: [] },
      { id: 'google-analytics', name: 'Google Analytics', cookies: ['_ga', '_ga_*', '_gid', '_gat', '_gat_*'] },
      { id: 'yandex-metrica', name: 'Yandex Metrica', cookies: ['_ym_uid', '_ym_d', '_ym_isad', '_ym_visorc', '_ym_*', 'yandexuid', 'yabs-sid'] },
    ],
  },
  {
    id: 'marketing',
    necessary: false,
    consentMode: ['ad_storage', 'ad_user_data', 'ad_personalization'],
    services: [],
  },
]

export const BUILT_IN_TEXTS: Readonly<Record<'en' | 'ru', BannerTexts>> = {
  en: {
    dir: 'ltr',
    title: 'Your privacy choices',
    description:
      'We count visits anonymously in any case. With your consent we also use cookies and analytics services to learn more about how the site is used, and marketing services. You can change your choice at any time.',
    acceptAll: 'Accept all',
    rejectAll: 'Reject all',
    preferences: 'Preferences',
    save: 'Save my choices',
    close: 'Close',
    policy: 'Privacy policy',
    alwaysOn: 'Always on',
    services: 'Services',
    cookies: 'Cookies',
    gpcHonoured: 'Your browser sent a Global Privacy Control signal, so everything that is not necessary was refused. You can still choose otherwise here.',
    download: 'Download my consent record',
    categories: {
      necessary: { title: 'Necessary', description: 'Needed for the site to work and to remember your choice. They cannot be switched off.' },
      analytics: {
        title: 'Analytics',
        description: 'Help us understand how the site is used: screen size, returning visits, city and internet provider, and the analytics services listed here.',
      },
      marketing: { title: 'Marketing', description: 'Used to show and measure advertising.' },
    },
  },
  ru: {
    dir: 'ltr',
    title: 'Ваш выбор о приватности',
    description:
      'Посещения мы в любом случае считаем анонимно. С вашего согласия мы также используем cookie и сервисы аналитики, чтобы лучше понимать, как используется сайт, и маркетинговые сервисы. Изменить выбор можно в любой момент.',
    acceptAll: 'Принять все',
    rejectAll: 'Отклонить все',
    preferences: 'Настройки',
    save: 'Сохранить выбор',
    close: 'Закрыть',
    policy: 'Политика конфиденциальности',
    alwaysOn: 'Всегда включены',
    services: 'Сервисы',
    cookies: 'Cookie',
    gpcHonoured: 'Ваш браузер передал сигнал Global Privacy Control, поэтому всё необязательное отклонено. Здесь можно выбрать иначе.',
    download: 'Скачать запись о моём согласии',
    categories: {
      necessary: { title: 'Необходимые', description: 'Нужны для работы сайта и чтобы запомнить ваш выбор. Их нельзя отключить.' },
      analytics: {
        title: 'Аналитика',
        description: 'Помогают понять, как используется сайт: размер экрана, повторные визиты, город и интернет-провайдер, а также перечисленные здесь сервисы аналитики.',
      },
      marketing: { title: 'Маркетинг', description: 'Нужны для показа и оценки рекламы.' },
    },
  },
}

/** Languages written right to left, for a site's own languages that do not say. */
export const RTL_LANGUAGES = new Set(['ar', 'arc', 'ckb', 'dv', 'fa', 'ha', 'he', 'khw', 'ks', 'ps', 'sd', 'ur', 'yi'])
