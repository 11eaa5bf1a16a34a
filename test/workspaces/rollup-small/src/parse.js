// A tiny arithmetic parser: numbers, + - * / and parentheses.
export function tokenize(source) {
  const tokens = [];
  for (let i = 0; i < source.length; ) {
    const c = source[i];
    if (/\s/.test(c)) i++;
    else if (/[0-9.]/.test(c)) {
      let j = i;
      while (j < source.length && /[0-9.]/.test(source[j])) j++;
      tokens.push({ kind: 'num', value: Number(source.slice(i, j)) });
      i = j;
    } else if ('+-*/()'.includes(c)) {
      tokens.push({ kind: c });
      i++;
    } else throw new SyntaxError(`unexpected ${c} at ${i}`);
  }
  return tokens;
}

export function parse(source) {
  const tokens = tokenize(source);
  let at = 0;
  const peek = () => tokens[at]?.kind;
  function primary() {
    const t = tokens[at++];
    if (t?.kind === 'num') return t;
    if (t?.kind === '(') {
      const e = sum();
      at++;
      return e;
    }
    throw new SyntaxError('expected a number');
  }
  function product() {
    let left = primary();
    while (peek() === '*' || peek() === '/') left = { kind: tokens[at++].kind, left, right: primary() };
    return left;
  }
  function sum() {
    let left = product();
    while (peek() === '+' || peek() === '-') left = { kind: tokens[at++].kind, left, right: product() };
    return left;
  }
  return sum();
}
