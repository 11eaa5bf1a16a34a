// Deterministic generator of synthetic multi-module Tiny programs.
//
// Layout (like an application with a few entry points): `app_K` entry modules, feature groups
// `feat_K_J` (one group per entry, importing within the group and from the library), and a
// shared library `lib_J`. Imports always point to a later module, so the graph is acyclic and
// function calls always terminate; a few cross-group imports create shared chunks.

export interface SynthOptions {
  modules: number;
  functions: number;
  seed: number;
}

export interface SourceFile {
  name: string;
  text: string;
}

class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  /** mulberry32 */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

const VERBS = [
  'compute',
  'scale',
  'merge',
  'reduce',
  'fold',
  'clamp',
  'mix',
  'weigh',
  'score',
  'rank',
  'blend',
  'shift',
  'count',
  'measure',
  'adjust',
  'combine',
  'filter',
  'sample',
  'normalize',
  'project',
];
const NOUNS = [
  'Total',
  'Value',
  'Index',
  'Weight',
  'Offset',
  'Range',
  'Level',
  'Score',
  'Delta',
  'Factor',
  'Bucket',
  'Limit',
  'Step',
  'Ratio',
  'Depth',
  'Width',
  'Mass',
  'Rate',
  'Bias',
  'Phase',
];
const LOCALS = ['acc', 'tmp', 'sum', 'prod', 'lo', 'hi', 'mid', 'cur', 'prev', 'val', 'res', 'cnt'];
const PARAMS = ['x', 'y', 'z', 'w'];
const ARITH = ['+', '-', '*', '+', '-', '*', '/', '%'];
const COMPARE = ['<', '<=', '>', '>=', '==', '!='];

interface Callable {
  name: string;
  arity: number;
}

interface ModulePlan {
  name: string;
  fns: { name: string; arity: number; exported: boolean }[];
  imports: number[];
}

function planModules(opts: SynthOptions, rng: Rng): ModulePlan[] {
  const n = Math.max(1, opts.modules);
  const entries = Math.max(1, Math.round(n / 50));
  const lib = n > entries + 1 ? Math.max(1, Math.floor(n * 0.15)) : 0;
  const features = n - entries - lib;
  const names: string[] = [];
  const groupOf: number[] = [];
  for (let k = 0; k < entries; k++) {
    names.push(`app_${k}`);
    groupOf.push(k);
  }
  const perGroup = Math.ceil(features / entries);
  for (let j = 0; j < features; j++) {
    const g = Math.floor(j / perGroup);
    names.push(`feat_${g}_${j % perGroup}`);
    groupOf.push(g);
  }
  const libStart = names.length;
  for (let j = 0; j < lib; j++) {
    names.push(`lib_${j}`);
    groupOf.push(-1);
  }
  const groupStart = (g: number) => entries + g * perGroup;
  const groupEnd = (g: number) => Math.min(entries + features, groupStart(g + 1));

  return names.map((name, i) => {
    const fns: ModulePlan['fns'] = [];
    const taken = new Set<string>();
    const count = i < entries ? Math.max(1, Math.floor(opts.functions / 4)) : opts.functions;
    for (let k = 0; k < count; k++) {
      let fname = rng.pick(VERBS) + rng.pick(NOUNS);
      while (taken.has(fname)) fname += rng.int(0, 9);
      taken.add(fname);
      fns.push({ name: fname, arity: rng.int(1, 3), exported: rng.chance(0.6) });
    }
    if (i < entries) fns.push({ name: 'main', arity: 0, exported: true });
    else if (!fns.some((f) => f.exported)) fns[fns.length - 1]!.exported = true;

    const imports = new Set<number>();
    const g = groupOf[i]!;
    // Every module is reachable from an entry: entries import the head of their group and the
    // library head, and each feature or library module imports its successor in its group.
    if (i < entries) {
      for (let j = groupStart(i); j < Math.min(groupEnd(i), groupStart(i) + 3); j++) imports.add(j);
      if (lib > 0) imports.add(libStart);
    } else if (g >= 0) {
      const last = groupEnd(g) - 1;
      if (i < last) imports.add(i + 1);
      if (i + 1 < last && rng.chance(0.5)) imports.add(rng.int(i + 2, Math.min(last, i + 6)));
      if (lib > 0 && rng.chance(0.5)) imports.add(rng.int(libStart, libStart + lib - 1));
      if (g + 1 < entries && rng.chance(0.04)) imports.add(rng.int(groupStart(g + 1) + 1, groupEnd(g + 1) - 1));
    } else if (i + 1 < n) {
      imports.add(i + 1);
      if (i + 2 < n && rng.chance(0.3)) imports.add(rng.int(i + 2, Math.min(n - 1, i + 5)));
    }
    return { name, fns, imports: [...imports].filter((t) => t > i && t < n).sort((a, b) => a - b) };
  });
}

export function generateProgram(opts: SynthOptions): SourceFile[] {
  const rng = new Rng(opts.seed);
  const plans = planModules(opts, rng);
  return plans.map((plan) => ({ name: plan.name, text: new ModuleWriter(rng, plan, plans, opts.seed).write() }));
}

class ModuleWriter {
  private out: string[] = [];
  private indent = '';
  private scopes: string[][] = [];
  private locals = 0;
  private callables: Callable[] = [];
  private values: string[] = ['LIMIT', 'SCALE'];

  constructor(
    private readonly rng: Rng,
    private readonly plan: ModulePlan,
    private readonly plans: readonly ModulePlan[],
    private readonly seed: number,
  ) {}

  private line(text: string): void {
    this.out.push(`${this.indent + text}\n`);
  }

  write(): string {
    const rng = this.rng;
    const used = new Set<string>(['LIMIT', 'SCALE', ...this.plan.fns.map((f) => f.name)]);
    this.line(`// module ${this.plan.name}: generated by tinyc synth (seed ${this.seed})`);
    for (const target of this.plan.imports) {
      const dep = this.plans[target]!;
      const exported = dep.fns.filter((f) => f.exported);
      const specs: string[] = [];
      const picked = new Set<string>();
      for (let k = rng.int(1, 3); k > 0; k--) {
        const fn = rng.pick(exported);
        if (picked.has(fn.name)) continue;
        picked.add(fn.name);
        let local = fn.name;
        if (used.has(local)) local = `${fn.name}_${dep.name}`;
        used.add(local);
        specs.push(local === fn.name ? fn.name : `${fn.name} as ${local}`);
        this.callables.push({ name: local, arity: fn.arity });
      }
      if (rng.chance(0.3)) {
        const local = `scale_${dep.name}`;
        specs.push(`SCALE as ${local}`);
        this.values.push(local);
      }
      this.line(`import { ${specs.join(', ')} } from "${dep.name}";`);
    }
    this.line('');
    this.line(`let LIMIT = ${rng.int(8, 64)};`);
    this.line(`export let SCALE = ${rng.int(2, 9)};`);
    for (const fn of this.plan.fns) {
      this.line('');
      this.writeFunction(fn);
      this.callables.push(fn);
    }
    return this.out.join('');
  }

  private writeFunction(fn: { name: string; arity: number; exported: boolean }): void {
    const params = PARAMS.slice(0, fn.arity);
    this.locals = 0;
    this.scopes = [params.slice()];
    this.line(`${fn.exported ? 'export ' : ''}fn ${fn.name}(${params.join(', ')}) {`);
    this.indent = '  ';
    if (fn.name === 'main') {
      this.line('let total = 0;');
      for (const callee of this.callables.slice(-4)) {
        const args = Array.from({ length: callee.arity }, () => String(this.rng.int(1, 9)));
        this.line(`total = total + ${callee.name}(${args.join(', ')});`);
      }
      this.line('return total;');
    } else {
      for (let k = this.rng.int(3, 5); k > 0; k--) this.statement(0);
      this.line(`return ${this.expr(0)};`);
    }
    this.indent = '';
    this.line('}');
  }

  private visible(): string[] {
    return this.scopes.flat();
  }

  private declare(prefix: string): string {
    const name = `${prefix}${this.locals++}`;
    this.scopes[this.scopes.length - 1]!.push(name);
    return name;
  }

  private block(depth: number, stmts: number): void {
    this.scopes.push([]);
    const outer = this.indent;
    this.indent += '  ';
    for (let k = 0; k < stmts; k++) this.statement(depth + 1);
    this.indent = outer;
    this.scopes.pop();
  }

  private statement(depth: number): void {
    const rng = this.rng;
    const roll = rng.next();
    if (depth < 2 && roll < 0.22) {
      this.line(`if (${this.condition(1)}) {`);
      this.block(depth, rng.int(1, 3));
      if (rng.chance(0.6)) {
        this.line('} else {');
        this.block(depth, rng.int(1, 2));
      }
      this.line('}');
    } else if (depth < 2 && roll < 0.32) {
      const i = this.declare('i');
      this.line(`let ${i} = 0;`);
      this.line(`while (${i} < ${rng.int(2, 4)}) {`);
      this.block(depth, rng.int(1, 2));
      this.line(`  ${i} = ${i} + 1;`);
      this.line('}');
    } else if (roll < 0.45 && this.visible().length > 0) {
      const target = rng.pick(
        this.visible()
          .filter((v) => !/^i\d/.test(v))
          .concat(this.scopes[0]!),
      );
      this.line(`${target} = ${this.expr(1)};`);
    } else if (roll < 0.5 && this.callables.length > 0) {
      this.line(`${this.call(1)};`);
    } else {
      const value = this.expr(0);
      this.line(`let ${this.declare(rng.pick(LOCALS))} = ${value};`);
    }
  }

  private condition(depth: number): string {
    const cmp = `${this.expr(depth + 1)} ${this.rng.pick(COMPARE)} ${this.expr(depth + 1)}`;
    if (depth < 2 && this.rng.chance(0.3))
      return `${cmp} ${this.rng.chance(0.5) ? '&&' : '||'} ${this.condition(depth + 1)}`;
    return cmp;
  }

  private call(depth: number): string {
    const callee = this.rng.pick(this.callables);
    const args = Array.from({ length: callee.arity }, () => this.expr(depth + 1));
    return `${callee.name}(${args.join(', ')})`;
  }

  private expr(depth: number): string {
    const rng = this.rng;
    const roll = rng.next();
    if (depth >= 3 || roll < 0.3) {
      const vars = this.visible();
      const leaf = rng.next();
      if (leaf < 0.55 && vars.length > 0) return rng.pick(vars);
      if (leaf < 0.7) return rng.pick(this.values);
      return rng.chance(0.15) ? `${rng.int(0, 9)}.${rng.int(1, 9)}` : String(rng.int(0, 99));
    }
    if (roll < 0.45 && this.callables.length > 0) return this.call(depth);
    if (roll < 0.5) return `-${this.expr(depth + 1)}`;
    const left = this.expr(depth + 1);
    const right = this.expr(depth + 1);
    const text = `${left} ${rng.pick(ARITH)} ${right}`;
    return rng.chance(0.3) ? `(${text})` : text;
  }
}
