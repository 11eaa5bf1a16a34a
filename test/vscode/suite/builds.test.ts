// Which build is profiled, in a C folder that offers two (test/workspaces/c-multi's Makefile, and a
// package.json whose "build" script runs make): detection, the compilerMemory.builds setting that
// overrides it, the remembered choice that Profile Build runs, and Export Chrome Trace… on the result.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExportOutcome } from '../../../client/src/export-trace-command';
import type { BuildInfo } from '../../../client/src/select-build-command';
import { extension, folder, profileBuild, profiled, state, waitForServerReady } from './helpers';

interface Detected {
  builds: BuildInfo[];
  invalid: string[];
}

const detected = () =>
  vscode.commands.executeCommand<Detected>('compilerMemory.internal.detectedBuilds') as Promise<Detected>;
const setBuilds = (value: unknown) =>
  vscode.workspace
    .getConfiguration('compilerMemory', folder().uri)
    .update('builds', value, vscode.ConfigurationTarget.Workspace);
const SOURCES = ['hashtab.c', 'lexer.c', 'main.c', 'parser.c', 'strbuf.c', 'vm.c'];

suite('Builds: detection, the setting, the remembered choice, Export Chrome Trace…', () => {
  const out = mkdtempSync(path.join(process.env.TMPDIR ?? os.tmpdir(), 'cmi-e2e-export-'));

  suiteSetup(async () => {
    // No tsconfig.json or Cargo.toml here: nothing activates the extension but its commands.
    await extension().activate();
    await waitForServerReady();
  });
  suiteTeardown(async () => {
    await setBuilds(undefined);
  });

  test('detects both builds of the folder, the package script first, none chosen yet', async () => {
    const { builds, invalid } = await detected();
    const root = folder().uri.fsPath;
    assert.deepEqual(
      builds.map((b) => [b.name, b.source, b.argv.join(' '), b.cwd, b.folder, b.lastUsed]),
      [
        ['npm run build', 'package.json script "build"', 'npm run build', root, 'c-make', false],
        ['make', 'Makefile', 'make', root, 'c-make', false],
      ],
    );
    assert.deepEqual(invalid, []);
  });

  test('compilerMemory.builds replaces what is detected, and names the entries it cannot use', async () => {
    await setBuilds([
      { name: 'quick', command: 'make -j2 minivm', cwd: '.', env: { CFLAGS: '-O0' }, runs: 3 },
      { name: 'argv', command: ['make', 'clean'] },
      { name: 'broken', command: [] },
    ]);
    try {
      const { builds, invalid } = await detected();
      assert.deepEqual(
        builds.map((b) => ({ name: b.name, argv: b.argv, cwd: b.cwd, env: b.env, runs: b.runs, source: b.source })),
        [
          {
            name: 'quick',
            argv: ['sh', '-c', 'make -j2 minivm'],
            cwd: folder().uri.fsPath,
            env: { CFLAGS: '-O0' },
            runs: 3,
            source: 'setting compilerMemory.builds',
          },
          {
            name: 'argv',
            argv: ['make', 'clean'],
            cwd: folder().uri.fsPath,
            env: null,
            runs: null,
            source: 'setting compilerMemory.builds',
          },
        ],
      );
      assert.deepEqual(invalid, ['compilerMemory.builds[2] ("broken") in c-make']);
    } finally {
      await setBuilds(undefined);
    }
    assert.deepEqual(
      (await detected()).builds.map((b) => b.name),
      ['npm run build', 'make'],
      'detection is back once the setting is removed',
    );
  });

  test('Select Build to Profile… remembers "make"; it is marked last used', async () => {
    const chosen = await vscode.commands.executeCommand<BuildInfo>('compilerMemory.selectBuild', 'make');
    assert.equal(chosen?.name, 'make');
    const { builds } = await detected();
    assert.deepEqual(
      builds.map((b) => [b.name, b.lastUsed]),
      [
        ['npm run build', false],
        ['make', true],
      ],
    );
    const unknown = await vscode.commands.executeCommand('compilerMemory.selectBuild', 'ninja');
    assert.equal(unknown, undefined);
    assert.match(
      (await state()).lastNotice?.message ?? '',
      /no build named "ninja"; the workspace offers "npm run build", "make"/,
    );
  });

  test('Profile Build runs the remembered build without asking, one phase per translation unit', async function () {
    this.timeout(180_000);
    const { summary, profilePath } = profiled(await profileBuild());
    assert.equal(summary.status, 'ok', summary.report);
    assert.deepEqual(summary.command, ['make']);
    assert.ok(existsSync(path.join(folder().uri.fsPath, 'minivm')), 'make built minivm');
    // gcc's passes (timevars) nested under their translation unit: `main.c › phase parsing`. The unit
    // is a root, or under its cc1 process (`cc1 main.c › main.c › …`) when the process lived more
    // than 5 % longer than gcc's report says (start-up and the shim, on a busy machine).
    const paths = [...summary.topPhasesByTime, ...summary.topPhasesByMemory].map((p) => p.path);
    const underUnit = (p: string[]) =>
      p.slice(0, -1).some((name, i) => SOURCES.includes(name) && (i === 0 || p[i - 1] === `cc1 ${name}`));
    assert.ok(
      paths.some(underUnit),
      `no translation unit among the top phases: ${paths.map((p) => p.join(' › ')).join(', ')}`,
    );
    assert.ok(summary.peak, 'no peak was recorded');
    console.log(
      `make: ${summary.wallText}, peak ${summary.peak.bytesText} in ${summary.peak.phasePath.join(' › ') || '(no phase)'}; ${summary.phaseCount} phases; ${profilePath}`,
    );
    assert.match((await state()).buildOutputTail, /^\$ make {4}\(in .*c-make; make from Makefile\)/);
  });

  test('Export Chrome Trace… writes the last profile as a Trace Event file with its phases', async function () {
    this.timeout(60_000);
    const outPath = path.join(out, 'make.trace.json');
    const outcome = await vscode.commands.executeCommand<ExportOutcome>('compilerMemory.exportChromeTrace', outPath);
    assert.equal(outcome?.kind, 'exported', JSON.stringify(outcome));
    const { result } = outcome as Extract<ExportOutcome, { kind: 'exported' }>;
    assert.equal(result.outPath, outPath);
    const trace = JSON.parse(readFileSync(outPath, 'utf8')) as {
      traceEvents: { ph: string; name: string; cat?: string }[];
    };
    assert.ok(Array.isArray(trace.traceEvents), 'an object with traceEvents');
    const spans = trace.traceEvents.filter((e) => e.ph === 'X');
    assert.equal(spans.length, result.phaseCount);
    assert.deepEqual(
      SOURCES.filter((s) => spans.some((e) => e.name === s)),
      SOURCES,
      'each translation unit is a span',
    );
    assert.ok(
      trace.traceEvents.some((e) => e.ph === 'C'),
      'the memory series are counters',
    );
    assert.match(
      (await state()).lastNotice?.message ?? '',
      /wrote make\.trace\.json \(.+, \d+ phases\); open it in Perfetto/,
    );
  });

  test('Export Chrome Trace… of a file that is not a profile says which and writes nothing', async () => {
    const notAProfile = path.join(folder().uri.fsPath, 'main.c');
    const outPath = path.join(out, 'not.trace.json');
    const outcome = await vscode.commands.executeCommand<ExportOutcome>(
      'compilerMemory.exportChromeTrace',
      outPath,
      notAProfile,
    );
    assert.equal(outcome?.kind, 'error', JSON.stringify(outcome));
    assert.match((await state()).lastNotice?.message ?? '', /could not read the profile: .*main\.c/);
    assert.equal(existsSync(outPath), false);
  });
});
