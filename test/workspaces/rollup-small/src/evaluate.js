const ops = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};

export function evaluate(node) {
  return node.kind === 'num' ? node.value : ops[node.kind](evaluate(node.left), evaluate(node.right));
}

export function unused() {
  return 'tree-shaken away';
}
