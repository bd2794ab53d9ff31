/**
 * The banner's two layers, built with the DOM API (no innerHTML, no inline styles: a strict
 * Content-Security-Policy allows neither; the look is all in consent.css):
 *
 * - the first layer, a landmark region: title, description, policy link, and Accept all, Reject
 *   all and Preferences as three buttons of the same look (equal weight);
 * - the preferences layer, a modal dialog: each category with a checkbox (never pre-ticked; the
 *   necessary one on and disabled), its services and their cookies, the same two buttons plus
 *   Save, the GPC note and "download my consent record". Focus stays inside while it is open;
 *   Escape closes it.
 *
 * Texts are plain text (textContent), never markup, whatever a site's overrides hold.
 */
import type { BannerConfig } from './protocol.ts'

type Child = Node | string | false | null | undefined

const doc = document

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, string> | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = doc.createElement(tag)
  for (const name in attrs) element.setAttribute(name, attrs[name]!)
  for (const child of children) if (child) element.append(child)
  return element
}

export interface Actions {
  /** a decision from a button; `custom` carries the optional categories ticked */
  decide(method: 'accept_all' | 'reject_all' | 'custom', granted?: string[]): void
  download(): void
}

export interface Ui {
  /** the first layer */
  ask(): void
  /** the preferences layer, showing the current choice */
  prefs(granted: string[], gpc: boolean, decided: boolean): void
  hide(): void
}

export function createUi(config: BannerConfig, language: string, actions: Actions): Ui {
  const texts = config.texts[language]!
  const button = (label: string, onClick: () => void, className?: string) => {
    const element = h('button', { type: 'button', class: className || '' }, label)
    element.onclick = onClick
    return element
  }
  const url = config.policyUrl
  const policyLink = () => url && /^(https?:|\/)/.test(url) && h('a', { href: url, target: '_blank', rel: 'noopener' }, texts.policy)
  const choices = (last: HTMLButtonElement) =>
    h('div', { class: 'cdr-a' }, button(texts.acceptAll, () => actions.decide('accept_all')), button(texts.rejectAll, () => actions.decide('reject_all')), last)

  const first = h(
    'div',
    { class: 'cdr-b', role: 'region', 'aria-labelledby': 'cdr-t' },
    h('h2', { id: 'cdr-t' }, texts.title),
    h('p', null, texts.description, ' ', policyLink()),
    choices(button(texts.preferences, () => open())),
  )

  const boxes = config.categories.map((category) => {
    const box = h('input', { type: 'checkbox', 'aria-describedby': 'cdr-d-' + category.id })
    box.value = category.id
    box.checked = box.disabled = category.necessary
    return box
  })
  const categoryText = (id: string) => texts.categories[id] || { title: id, description: '' }
  const categories = config.categories.map((category, index) =>
    h(
      'div',
      { class: 'cdr-c' },
      h('label', null, boxes[index]!, categoryText(category.id).title, category.necessary && h('small', null, texts.alwaysOn)),
      h('p', { id: 'cdr-d-' + category.id }, categoryText(category.id).description),
      category.services.length > 0 &&
        h(
          'details',
          null,
          h('summary', null, texts.services + ' (' + category.services.length + ')'),
          h(
            'ul',
            null,
            ...category.services.map((service) =>
              h('li', null, service.name, service.cookies.length > 0 && h('small', null, ' · ' + texts.cookies + ': ' + service.cookies.join(', '))),
            ),
          ),
        ),
    ),
  )
  const gpcNote = h('p', { class: 'cdr-g' }, texts.gpcHonoured)
  const download = button(texts.download, actions.download, 'cdr-l')
  const closer = button('×', () => close(), 'cdr-x')
  closer.setAttribute('aria-label', texts.close)
  const dialog = h(
    'div',
    { class: 'cdr-p', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'cdr-pt', tabindex: '-1' },
    h('div', { class: 'cdr-h' }, h('h2', { id: 'cdr-pt' }, texts.preferences), closer),
    gpcNote,
    ...categories,
    choices(button(texts.save, () => actions.decide('custom', boxes.filter((box) => box.checked && !box.disabled).map((box) => box.value)))),
    h('p', { class: 'cdr-f' }, download, ' ', policyLink()),
  )
  const overlay = h('div', { class: 'cdr-o' }, dialog)
  const root = h('div', { class: 'cdr', id: 'candor-consent', lang: language, dir: texts.dir }, first, overlay)
  // until a decision: no GPC note, no record to download
  first.hidden = overlay.hidden = gpcNote.hidden = download.hidden = true
  // first in the body, so that the banner is the first thing a keyboard reaches
  doc.body.prepend(root)

  /** where focus was before the dialog opened; it goes back there */
  let opener: Element | null = null
  /** no decision yet: closing the dialog goes back to the first layer */
  let undecided = false

  function open(): void {
    opener = doc.activeElement
    first.hidden = true
    overlay.hidden = false
    doc.documentElement.classList.add('cdr-lock')
    dialog.focus()
  }

  function hide(): void {
    // until a decision: no GPC note, no record to download
  first.hidden = overlay.hidden = gpcNote.hidden = download.hidden = true
    doc.documentElement.classList.remove('cdr-lock')
    if (opener instanceof HTMLElement && !root.contains(opener)) opener.focus()
    opener = null
  }

  function close(): void {
    const back = opener
    hide()
    if (undecided) {
      first.hidden = false
      if (back instanceof HTMLElement && root.contains(back)) back.focus()
    }
  }

  doc.addEventListener('keydown', (event) => {
    if (overlay.hidden) return
    if (event.key == 'Escape') close()
    if (event.key != 'Tab') return
    const focusable = Array.from(dialog.querySelectorAll<HTMLElement>('button,a[href],input:not([disabled]),summary')).filter(
      (element) => !element.closest('[hidden]'),
    )
    const active = doc.activeElement
    const [head, tail] = [focusable[0]!, focusable[focusable.length - 1]!]
    // wrap around at either end, and pull focus back in if it got out (a click on the backdrop)
    if (event.shiftKey ? active == head || active == dialog || !dialog.contains(active) : active == tail || !dialog.contains(active)) {
      event.preventDefault()
      ;(event.shiftKey ? tail : head).focus()
    }
  })

  return {
    ask() {
      undecided = true
      first.hidden = false
    },
    prefs(granted, gpc, decided) {
      undecided = !decided
      for (const box of boxes) box.checked = box.disabled || granted.indexOf(box.value) >= 0
      gpcNote.hidden = !gpc
      // a record exists once a decision has been made
      download.hidden = !decided
      if (overlay.hidden) open()
    },
    hide,
  }
}
