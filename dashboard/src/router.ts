// A tiny history-API router, written by hand: the dashboard needs the path, the query and
// navigation, which is 40 lines, not a dependency.
import { h, type ComponentChildren, type JSX } from 'preact'
import { store, useStore } from './store.ts'

export interface Route {
  path: string
  params: URLSearchParams
}

function current(): Route {
  return { path: location.pathname, params: new URLSearchParams(location.search) }
}

const routeStore = store<Route>(current())
addEventListener('popstate', () => routeStore.set(current()))

export function useRoute(): Route {
  return useStore(routeStore)
}

export function getRoute(): Route {
  return routeStore.get()
}

/** Goes to `to` (a path with an optional query) without reloading the page. */
export function navigate(to: string, { replace = false }: { replace?: boolean } = {}): void {
  const url = new URL(to, location.href)
  if (url.origin !== location.origin) {
    location.assign(url.href)
    return
  }
  const target = url.pathname + url.search + url.hash
  if (target === location.pathname + location.search + location.hash) return
  history[replace ? 'replaceState' : 'pushState'](null, '', target)
  routeStore.set(current())
  if (!replace) scrollTo(0, 0)
}

type LinkProps = Omit<JSX.AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { href: string; replace?: boolean; children?: ComponentChildren }

/** An ordinary link that navigates in place; modified clicks (new tab, download) keep the browser's behaviour. */
export function Link({ href, replace, onClick, ...rest }: LinkProps) {
  return h('a', {
    ...rest,
    href,
    onClick(event: JSX.TargetedMouseEvent<HTMLAnchorElement>) {
      if (typeof onClick === 'function') onClick(event)
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
      const target = typeof rest.target === 'string' ? rest.target : undefined
      if (target && target !== '_self') return
      event.preventDefault()
      navigate(href, { replace: replace ?? false })
    },
  })
}
