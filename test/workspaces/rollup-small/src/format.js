export function format(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(6).replace(/0+$/, '');
}
