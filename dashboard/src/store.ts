// A value components can watch: a few lines instead of a state library for the handful of
// app-wide settings (locale, theme, route).
import { useEffect, useState } from 'preact/hooks'

export interface Store<T> {
  get(): T
  set(value: T): void
  subscribe(listener: (value: T) => void): () => void
}

export function store<T>(initial: T): Store<T> {
  let value = initial
  const listeners = new Set<(value: T) => void>()
  return {
    get: () => value,
    set(next) {
      if (Object.is(next, value)) return
      value = next
      for (const listener of [...listeners]) listener(value)
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

/** The store's value; the component renders again when it changes. */
export function useStore<T>(s: Store<T>): T {
  const [value, setValue] = useState(s.get())
  useEffect(() => {
    setValue(s.get())
    return s.subscribe(setValue)
  }, [s])
  return value
}
