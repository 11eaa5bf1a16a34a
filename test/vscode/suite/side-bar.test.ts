// The "Compiler Memory" side bar on the TypeScript workspace, after two builds: the History lists both
// (newest first), the Phases view (a webview) shows the newest profile's phase tree opened on the
// peak's path, a sort by a column's header changes the order, a click on a phase reaches the timeline
// (showPhaseInTimeline), Set as Baseline fills the Baseline view, and Delete removes a run.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PhaseHostToView, PhaseSort } from '../../../protocol/side-bar';
import type { SideBarState } from '../../../client/src/side-bar';
import { profileBuild, profiled, state, waitFor, waitForServerReady } from './helpers';

function sideBar(message?: PhaseHostToView): Promise<SideBarState> {
  return vscode.commands.executeCommand<SideBarState>(
    'compilerMemory.internal.sideBar',
    message,
  ) as Promise<SideBarState>;
}

async function sortBy(sort: PhaseSort): Promise<number[]> {
  const sorted = (st: SideBarState) => JSON.stringify(st.phases.rendered?.sort) === JSON.stringify(sort);
  let s = await sideBar({ type: 'sortBy', sort });
  // The view's next report may be of a reload the store's watcher asked for just before: wait for the sort's.
  if (!sorted(s))
    s = await waitFor(
      'the Phases view to report the sort',
      async () => {
        const now = await sideBar();
        return sorted(now) ? now : undefined;
      },
      10_000,
    );
  assert.deepEqual(s.phases.rendered?.sort, sort, 'the view did not sort');
  return s.phases.rendered!.visibleRows;
}

const item = (profilePath: string) => ({ kind: 'profile', profile: { profilePath } });

suite('Side bar: TypeScript workspace', () => {
  let older: string;
  let newer: string;
  let peakPath: string[];

  suiteSetup(async function () {
    this.timeout(240_000);
    await waitForServerReady();
    older = profiled(await profileBuild()).profilePath;
    const second = profiled(await profileBuild());
    newer = second.profilePath;
    peakPath = second.summary.peak?.phasePath ?? [];
    await vscode.commands.executeCommand('workbench.view.extension.compilerMemory');
    await vscode.commands.executeCommand('compilerMemory.phases.focus');
  });

  // The side bar stays open: the step's last screenshot shows it.
  suiteTeardown(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  test('the History lists both runs, newest first, with their peak', async function () {
    this.timeout(60_000);
    const s = await waitFor(
      'both runs in the History',
      async () => {
        const s = await sideBar();
        const paths = s.history.map((h) => h.profilePath);
        return paths.includes(older) && paths.includes(newer) ? s : undefined;
      },
      30_000,
    );
    const paths = s.history.map((h) => h.profilePath);
    assert.ok(paths.indexOf(newer) < paths.indexOf(older), `newest first: ${paths.join(', ')}`);
    const h = s.history.find((x) => x.profilePath === newer)!;
    assert.match(h.label, /tsc/);
    assert.match(h.description, /\d+(\.\d)? (KiB|MiB|GiB)/);
    console.log(`history: ${s.history.length} profiles; newest "${h.label}" ${h.description}`);
  });

  test("the Phases view shows the newest profile with the peak's path open", async function () {
    this.timeout(60_000);
    const s = await waitFor(
      'the Phases view to show the newest profile',
      async () => {
        const s = await sideBar();
        return s.phases.rendered?.profilePath === newer && s.phases.rendered.visibleRows.length ? s : undefined;
      },
      30_000,
    );
    assert.ok(s.phases.visible, 'the Phases view is not visible');
    assert.equal(s.phases.lastError, null);
    const peakRow = s.phases.peakRow;
    assert.ok(peakRow !== null, 'no row holds the peak');
    assert.equal(s.phases.rowPaths[peakRow], peakPath.join(' › '));
    assert.ok(s.phases.rendered!.visibleRows.includes(peakRow), "the peak's row is not shown");
    // Every ancestor of the peak's row is open.
    for (let depth = 1; depth < peakPath.length; depth++) {
      const ancestor = s.phases.rowPaths.indexOf(peakPath.slice(0, depth).join(' › '));
      assert.ok(
        s.phases.rendered!.expandedRows.includes(ancestor),
        `${peakPath.slice(0, depth).join(' › ')} is closed`,
      );
    }
  });

  test('sorting by a column changes the order', async function () {
    this.timeout(60_000);
    const byStart = await sortBy({ column: 'name', descending: false });
    const bySelf = await sortBy({ column: 'self', descending: true });
    const byTime = await sortBy({ column: 'duration', descending: true });
    assert.deepEqual([...bySelf].sort(), [...byStart].sort(), 'sorting changed which rows are shown');
    assert.ok(
      bySelf.join() !== byStart.join() || byTime.join() !== byStart.join(),
      `the same order whatever the column: ${byStart.join()}`,
    );
  });

  test('clicking a phase shows it in the timeline', async function () {
    this.timeout(60_000);
    const s0 = await sideBar();
    const row = s0.phases.peakRow!;
    await sideBar({ type: 'clickRow', row });
    const shown = await waitFor(
      'the phase to reach the timeline',
      async () => (await sideBar()).lastPhaseShown,
      20_000,
    );
    assert.equal(shown.profilePath, newer);
    assert.equal(shown.phaseRow, row);
    assert.deepEqual(shown.path, peakPath);
    assert.ok(shown.endMs >= shown.startMs);
    const t = await waitFor('the timeline panel', async () => (await state()).timeline, 20_000);
    assert.equal(t.profilePath, newer);
  });

  test('Set as Baseline from the History fills the Baseline view', async function () {
    this.timeout(60_000);
    await vscode.commands.executeCommand('compilerMemory.history.setBaseline', item(older));
    const s = await sideBar();
    assert.equal(s.baseline?.sourcePath, older);
    assert.match(s.history.find((h) => h.profilePath === older)!.description, /baseline/);
    await vscode.commands.executeCommand('compilerMemory.history.clearBaseline');
    assert.equal((await sideBar()).baseline, null);
  });

  test('Delete removes a run from the store and the History; a file outside the store is refused', async function () {
    this.timeout(60_000);
    const outside = path.join(path.dirname(path.dirname(older)), 'not-in-store.cmi-profile.json');
    assert.equal(
      await vscode.commands.executeCommand('compilerMemory.history.delete', outside, { confirmed: true }),
      false,
    );
    assert.equal(
      await vscode.commands.executeCommand('compilerMemory.history.delete', item(older), { confirmed: true }),
      true,
    );
    assert.ok(!existsSync(older), 'the file is still there');
    const s = await sideBar();
    assert.ok(!s.history.some((h) => h.profilePath === older), 'the History still lists it');
    assert.ok(
      s.history.some((h) => h.profilePath === newer),
      'the other run went too',
    );
  });
});
