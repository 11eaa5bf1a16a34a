// The fallback container: the build's own process group (the runner spawns it detached) plus the
// pids the sampler saw, stopped with killTree. What it cannot do: see container.ts.

import type { ChildProcess } from 'node:child_process';
import type { ContainmentKind } from '../model';
import { killTree } from '../collect/sampler/process-tree';
import { readProcessTableSync } from '../collect/sampler/process-table';
import { ms } from '../units';
import type { BuildExit, BuildStart, Container, ContainerOptions, Launch, StoppedProcess } from './container';

export class ProcessGroupContainer implements Container {
  readonly kind: ContainmentKind = process.platform === 'win32' ? 'none' : 'process-group';
  private rootPid = 0;
  private exit: Promise<BuildExit> | undefined;

  constructor(private readonly opts: ContainerOptions) {}

  launch(argv: string[], env: Record<string, string>): Launch {
    return { file: argv[0]!, args: argv.slice(1), env, stdio: ['ignore', 'pipe', 'pipe'] };
  }

  started(child: ChildProcess): Promise<BuildStart> {
    this.rootPid = child.pid!;
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    return Promise.resolve({ rootPid: this.rootPid });
  }

  rootExit(): Promise<BuildExit> {
    return this.exit!;
  }

  stop(): void {
    void killTree(this.rootPid, { graceMs: this.opts.graceMs, extraPids: this.opts.knownPids() });
  }

  killNow(): void {
    void killTree(this.rootPid, { graceMs: ms(0), extraPids: this.opts.knownPids() });
  }

  async stopLeftovers(): Promise<StoppedProcess[]> {
    const table = readProcessTableSync();
    const left = this.opts
      .knownPids()
      .filter((pid) => pid !== this.rootPid && table?.get(pid) && !table.get(pid)!.zombie)
      .map((pid) => ({ pid, name: table?.get(pid)?.name ?? '?' }));
    if (left.length) await killTree(this.rootPid, { graceMs: ms(500), extraPids: left.map((p) => p.pid) });
    return left;
  }

  async dispose(): Promise<void> {}
}
