// The only way this app builds DOM. Children given as strings become text nodes, so text from
// the network can never be parsed as markup; there is deliberately no innerHTML anywhere.

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith('on')) throw new Error(`el(): event handler attribute ${name} not allowed; use addEventListener`);
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

// C0 controls (except tab and newline), DEL, zero-width and bidi-override characters can make a
// hostile line look like something else. They are shown as visible escapes, never removed.
const INVISIBLE_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

function escapeFor(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with invisible characters as escapes, for places that take plain text (table cells, titles). */
export function visibleText(text: string): string {
  return text.replace(INVISIBLE_CHARS, escapeFor);
}

/** Appends `text` as text nodes, with invisible characters rendered as marked escapes. */
export function appendVisibleText(parent: Node, text: string): void {
  let last = 0;
  for (const m of text.matchAll(INVISIBLE_CHARS)) {
    const at = m.index ?? 0;
    if (at > last) parent.appendChild(document.createTextNode(text.slice(last, at)));
    const mark = el('span', { class: 'ctl', title: 'control character, shown escaped' }, escapeFor(m[0]));
    parent.appendChild(mark);
    last = at + m[0].length;
  }
  if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** Makes `zone` take dropped files and `picker`'s chosen files, handing each batch to `onFiles`. */
export function acceptFiles(zone: HTMLElement, picker: HTMLInputElement, onFiles: (files: File[]) => void): void {
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    onFiles([...(e.dataTransfer?.files ?? [])]);
  });
  picker.addEventListener('change', () => {
    onFiles([...(picker.files ?? [])]);
    // The same file chosen again must fire `change` again.
    picker.value = '';
  });
}
