// Light and dark themes: CSS custom properties chosen by prefers-color-scheme unless the person
// picked one with the header's toggle (remembered in localStorage, set as <html data-theme>).
import { store, useStore } from './store.ts'

export type Theme = 'light' | 'dark'
const KEY = 'candor.theme'

function saved(): Theme | null {
  try {
    const value = localStorage.getItem(KEY)
    return value === 'light' || value === 'dark' ? value : null
  } catch {
    return null
  }
}

function system(): Theme {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

export const themeStore = store<Theme>(saved() ?? system())

function apply(theme: Theme): void {
  document.documentElement.dataset.theme = theme
}
apply(themeStore.get())
themeStore.subscribe(apply)
if (typeof matchMedia === 'function') {
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (!saved()) themeStore.set(system())
  })
}

export function useTheme(): Theme {
  return useStore(themeStore)
}

export function setTheme(theme: Theme): void {
  try {
    localStorage.setItem(KEY, theme)
  } catch {
    // not remembered; still switched
  }
  themeStore.set(theme)
}
