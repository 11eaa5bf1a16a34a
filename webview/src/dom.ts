// DOM helpers: every string is set as text (textContent), never parsed as HTML.

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}

/** The value of a CSS custom property, for drawing on canvases: the body's, where VS Code's theme classes apply. */
export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body ?? document.documentElement)
    .getPropertyValue(name)
    .trim();
  return v || fallback;
}
