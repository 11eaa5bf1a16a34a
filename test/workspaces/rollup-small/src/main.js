import { parse } from './parse.js';
import { evaluate } from './evaluate.js';
import { format } from './format.js';

export function run(source) {
  return format(evaluate(parse(source)));
}

export { parse, evaluate, format };
