// tinyc: compiles a multi-module Tiny program into JavaScript chunks.
//
//   node out/main.js [--modules N] [--functions M] [--seed S] [--input DIR] [--emit-source DIR]
//                    [--minify] [--free-asts] [--no-sourcemap] [--out DIR] [--trace-heap]
//
// Phases (performance.measure names): load, parse, link (bind, resolve, chunk_graph,
// deconflict), generate (instantiate_chunks, render_chunks), minify, write.
// Every module's AST lives in its own AstArena. instantiate_chunks is the last reader of the
// ASTs; by default the arenas are still held until the end of the run, and with --free-asts
// each one is freed as soon as its module has been instantiated.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { instantiateChunks, renderChunks, type RenderedChunk } from './codegen';
import { CompileError } from './diagnostics';
import { createModule, link, type ModuleRecord } from './linker';
import { minify } from './minify';
import { parseModule } from './parser';
import { checkpointEvery, heap, mib, ms, phase, timings } from './phases';
import { generateProgram, type SourceFile } from './synth';

interface Options {
  modules: number;
  functions: number;
  seed: number;
  input: string | null;
  emitSource: string | null;
  minify: boolean;
  sourceMaps: boolean;
  freeAsts: boolean;
  out: string;
}

const USAGE = `usage: node out/main.js [--modules N] [--functions M] [--seed S] [--input DIR]
                        [--emit-source DIR] [--minify] [--free-asts] [--no-sourcemap] [--out DIR]
                        [--trace-heap]`;

function parseArgs(argv: string[]): Options {
  const options: Options = {
    modules: 300,
    functions: 40,
    seed: 1,
    input: null,
    emitSource: null,
    minify: false,
    sourceMaps: true,
    freeAsts: false,
    out: 'dist',
  };
  const value = (k: number, flag: string): string => {
    const v = argv[k];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  const count = (k: number, flag: string): number => {
    const n = Number(value(k, flag));
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer`);
    return n;
  };
  for (let k = 0; k < argv.length; k++) {
    const flag = argv[k]!;
    switch (flag) {
      case '--modules':
        options.modules = count(++k, flag);
        break;
      case '--functions':
        options.functions = count(++k, flag);
        break;
      case '--seed':
        options.seed = count(++k, flag);
        break;
      case '--input':
        options.input = value(++k, flag);
        break;
      case '--emit-source':
        options.emitSource = value(++k, flag);
        break;
      case '--out':
        options.out = value(++k, flag);
        break;
      case '--minify':
        options.minify = true;
        break;
      case '--free-asts':
        options.freeAsts = true;
        break;
      case '--no-sourcemap':
        options.sourceMaps = false;
        break;
      case '--trace-heap':
        heap.trace = true;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option '${flag}'\n${USAGE}`);
    }
  }
  return options;
}

function readSources(dir: string): SourceFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.tiny'))
    .sort()
    .map((f) => ({ name: f.slice(0, -'.tiny'.length), text: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

function writeOutputs(outDir: string, chunks: RenderedChunk[], modules: ModuleRecord[]): number {
  fs.mkdirSync(outDir, { recursive: true });
  const manifestPath = path.join(outDir, 'manifest.json');
  if (fs.existsSync(manifestPath)) {
    // remove the chunks of the previous build, and only those
    const previous = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as {
      chunks?: { fileName: string; map?: string | null }[];
    };
    for (const c of previous.chunks ?? []) {
      for (const file of [c.fileName, c.map])
        if (file) fs.rmSync(path.join(outDir, path.basename(file)), { force: true });
    }
  }
  let bytes = 0;
  for (const chunk of chunks) {
    fs.writeFileSync(path.join(outDir, chunk.fileName), chunk.code);
    if (chunk.map !== null) fs.writeFileSync(path.join(outDir, `${chunk.fileName}.map`), chunk.map);
    bytes += Buffer.byteLength(chunk.code);
  }
  const manifest = {
    modules: modules.length,
    chunks: chunks.map((c) => ({
      fileName: c.fileName,
      map: c.map === null ? null : `${c.fileName}.map`,
      entry: c.entry,
      modules: c.modules,
      bytes: Buffer.byteLength(c.code),
    })),
  };
  fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return bytes;
}

function run(options: Options): string {
  const started = performance.now();
  const sources = phase('load', () => {
    const files = options.input !== null ? readSources(options.input) : generateProgram(options);
    if (files.length === 0) throw new Error(`no .tiny files in ${options.input}`);
    if (options.emitSource !== null) {
      fs.mkdirSync(options.emitSource, { recursive: true });
      for (const f of files) fs.writeFileSync(path.join(options.emitSource, `${f.name}.tiny`), f.text);
    }
    return files;
  });

  const modules = phase('parse', () => {
    const checkpoint = checkpointEvery(sources.length);
    return sources.map((file, index) => {
      const parsed = parseModule(file.name, file.text);
      checkpoint(index);
      return createModule(index, file.name, file.text, parsed.arena, parsed.program);
    });
  });
  const astNodes = modules.reduce((n, m) => n + m.arena.size, 0);
  const astBytes = modules.reduce((n, m) => n + m.arena.bytes, 0);

  const program = phase('link', () => link(modules));

  let arenaBytesAfterLastRead = 0;
  const rendered = phase('generate', () => {
    const instantiated = phase('instantiate_chunks', () => instantiateChunks(program, { freeAsts: options.freeAsts }));
    arenaBytesAfterLastRead = modules.reduce((n, m) => n + m.arena.bytes, 0);
    // source maps describe the unminified code, so --minify turns them off
    const sourceMaps = options.sourceMaps && !options.minify;
    return phase('render_chunks', () => renderChunks(program, instantiated, sourceMaps));
  });

  const output = options.minify
    ? phase('minify', () => {
        const checkpoint = checkpointEvery(rendered.length);
        return rendered.map((chunk, k) => {
          const code = minify(chunk.code);
          checkpoint(k);
          return { ...chunk, code, map: null };
        });
      })
    : rendered;

  const bytes = phase('write', () => writeOutputs(options.out, output, modules));

  // Without --free-asts the arenas were held past their last reader until here.
  for (const m of modules) m.arena.free();
  heap.sample();

  const total = performance.now() - started;
  const functions = program.symbols.filter((s) => s.arity >= 0).length;
  const top = timings.filter((t) => !t.path.includes(' › ')).map((t) => `${t.name} ${ms(t.duration)}`);
  return [
    `tinyc: ${modules.length} modules, ${functions} functions, ${(astNodes / 1e6).toFixed(2)}M AST nodes (~${mib(astBytes)} in arenas)`,
    `${program.chunks.length} chunks, ${(bytes / 1e6).toFixed(2)} MB JS${options.minify ? ' minified' : ''} in ${options.out}`,
    `${options.freeAsts ? 'ASTs freed in instantiate_chunks' : 'ASTs held to end of run'}: ` +
      `${mib(arenaBytesAfterLastRead)} of arenas alive after their last reader`,
    heap.live
      ? `peak heap ${mib(heap.peakBytes)} (live, sampled after GC) in ${heap.peakPhase}`
      : `max heapUsed ${mib(heap.peakBytes)} (sampled, includes garbage; run with node --expose-gc for the live peak)`,
    `${ms(total)}: ${top.join(', ')}`,
  ].join(' | ');
}

try {
  console.log(run(parseArgs(process.argv.slice(2))));
} catch (error) {
  if (error instanceof CompileError) {
    console.error(`error: ${error.message}`);
    process.exitCode = 1;
  } else {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
  }
}
