// The build under the supervisor (native/cmi-contain.c, dist/cmi-contain), in a cgroup of its own
// when one could be created. The supervisor does the stopping (it sees every descendant, and
// outlives us): we send it signals and read its report (supervisor-report.ts).
//
//   SIGTERM → cancel: polite signal to every process, SIGKILL after --grace-ms
//   SIGUSR1 → SIGKILL to every process at once
//   (our death) → its parent-death signal: as a cancel, then it removes --remove-dir
//
// Backstops, for a supervisor that does not answer (stopped, or killed): cgroup.kill, then killTree
// over the pids the sampler saw.

import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ContainmentKind } from '../model';
import { killTree } from '../collect/sampler/process-tree';
import { ms } from '../units';
import { killCgroup, removeBuildCgroup } from './cgroup';
import type { BuildExit, BuildStart, Container, ContainerOptions, Launch, StoppedProcess } from './container';
import { parseSupervisorLine } from './supervisor-report';

/** How long the supervisor may take beyond the grace period before the backstops act. */
const BACKSTOP_MS = 3000;

export class SupervisedContainer implements Container {
  kind: ContainmentKind;
  private child: ChildProcess | undefined;
  private rootPid = 0;
  private readonly daemons: StoppedProcess[] = [];
  private resolveStart!: (s: BuildStart) => void;
  private readonly start = new Promise<BuildStart>((r) => (this.resolveStart = r));
  private resolveExit!: (e: BuildExit) => void;
  private readonly exit = new Promise<BuildExit>((r) => (this.resolveExit = r));
  /** The supervisor exited and its report was read to the end. */
  private done: Promise<void> = Promise.resolve();
  private readonly timers: ReturnType<typeof setTimeout>[] = [];
  /** The supervisor reported the root's end. */
  private rootEnded = false;

  constructor(
    private readonly helper: string,
    private readonly cgroupDir: string | null,
    private readonly opts: ContainerOptions,
  ) {
    this.kind = cgroupDir ? 'cgroup' : 'subreaper';
  }

  launch(argv: string[], env: Record<string, string>): Launch {
    const own: Record<string, string> = { ...env };
    const args = ['--parent', String(process.pid), '--report-fd', '3', '--grace-ms', String(this.opts.graceMs)];
    if (this.cgroupDir) args.push('--cgroup', this.cgroupDir);
    if (this.opts.removeOnToolDeath) args.push('--remove-dir', this.opts.removeOnToolDeath);
    // The build's preloads are not the supervisor's: it sets them for the build after its own exec.
    if (own.LD_PRELOAD !== undefined) {
      args.push('--env', `LD_PRELOAD=${own.LD_PRELOAD}`);
      delete own.LD_PRELOAD;
    }
    return { file: this.helper, args: [...args, '--', ...argv], env: own, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] };
  }

  started(child: ChildProcess): Promise<BuildStart> {
    this.child = child;
    const report = child.stdio[3] as NodeJS.ReadableStream;
    const reportEnded = new Promise<void>((resolve) => {
      createInterface({ input: report, crlfDelay: Number.POSITIVE_INFINITY })
        .on('line', (line) => this.onRecord(line))
        .on('close', resolve);
    });
    const exited = new Promise<BuildExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.done = Promise.all([reportEnded, exited]).then(async ([, status]) => {
      this.resolveStart({ errorCode: 'ESRCH' });
      if (!this.rootEnded && this.rootPid) {
        // The supervisor was killed before the build ended: empty the container without it. Its own
        // status is all there is.
        if (this.cgroupDir) killCgroup(this.cgroupDir);
        await killTree(this.rootPid, { graceMs: ms(0), extraPids: this.opts.knownPids() });
      }
      this.resolveExit(status);
    });
    return this.start;
  }

  private onRecord(line: string): void {
    const r = parseSupervisorLine(line);
    if (r?.kind === 'root') {
      this.rootPid = r.pid;
      this.resolveStart({ rootPid: r.pid });
    } else if (r?.kind === 'exec-failed') this.resolveStart({ errorCode: r.errorCode });
    else if (r?.kind === 'cgroup-failed') this.kind = 'subreaper';
    else if (r?.kind === 'exit' || r?.kind === 'signal') {
      this.rootEnded = true;
      this.resolveExit(r.kind === 'exit' ? { code: r.code, signal: null } : { code: null, signal: r.signal });
    } else if (r?.kind === 'daemon') this.daemons.push({ pid: r.pid, name: r.name });
  }

  rootExit(): Promise<BuildExit> {
    return this.exit;
  }

  stop(): void {
    this.child?.kill('SIGTERM');
    this.later(this.opts.graceMs + BACKSTOP_MS, () => this.killNow());
  }

  killNow(): void {
    this.child?.kill('SIGUSR1');
    this.later(1000, () => {
      if (this.cgroupDir) killCgroup(this.cgroupDir);
      this.child?.kill('SIGKILL');
      if (this.rootPid) void killTree(this.rootPid, { graceMs: ms(0), extraPids: this.opts.knownPids() });
    });
  }

  async stopLeftovers(): Promise<StoppedProcess[]> {
    // The supervisor stops them (SIGTERM, grace, SIGKILL) and exits; it is given that long.
    this.later(this.opts.graceMs + BACKSTOP_MS, () => this.killNow());
    await this.done;
    return this.daemons;
  }

  async dispose(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    if (this.cgroupDir) await removeBuildCgroup(this.cgroupDir);
  }

  /** A backstop: runs unless the supervisor exited first. */
  private later(delayMs: number, act: () => void): void {
    let finished = false;
    void this.done.then(() => (finished = true));
    const t = setTimeout(() => finished || act(), delayMs);
    t.unref();
    this.timers.push(t);
  }
}
