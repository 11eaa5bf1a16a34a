// Text for places that draw no Markdown code spans (notifications, progress titles, accessible
// labels): `cargo build` becomes “cargo build”, so no literal backticks are shown.

/** `x` → “x”; a lone backtick is left as it is. */
export function plainText(s: string): string {
  return s.replace(/`([^`\n]+)`/g, '“$1”');
}
