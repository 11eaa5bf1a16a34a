// The engine's front door for "profile this build": the runner with every instrumentation that
// applies. The CLI's `cmi profile` and the language server's Profile Build both call this.

import { nodePreloadInstrumentation } from './collect/node-preload';
import { rustcInstrumentation } from './collect/rustc';
import type { Instrumentation } from './collect/instrumentation';
import type { Profile } from './model';
import type { RunOptions } from './runner';
import { runBuild } from './runner';

export type { LiveProgress } from './runner';
export { SpawnError } from './runner';

export interface ProfileBuildOptions extends Omit<RunOptions, 'instrumentations'> {
  /** Leave out the Node preload (V8 heap, performance marks, tsc phases). */
  noNodePreload?: boolean;
  /** Leave out the rustc/Cargo adapter. */
  noRustc?: boolean;
}

export function defaultInstrumentations(opts: { noNodePreload?: boolean; noRustc?: boolean } = {}): Instrumentation[] {
  const list: Instrumentation[] = [];
  if (!opts.noNodePreload) list.push(nodePreloadInstrumentation());
  if (!opts.noRustc) list.push(rustcInstrumentation());
  return list;
}

/** Runs the build with every applicable instrumentation; never throws for a failing build (see SpawnError). */
export async function profileBuild(opts: ProfileBuildOptions): Promise<Profile> {
  return (await profileBuildWithOutput(opts)).profile;
}

export async function profileBuildWithOutput(opts: ProfileBuildOptions) {
  const { noNodePreload, noRustc, ...run } = opts;
  return runBuild({ ...run, instrumentations: defaultInstrumentations({ noNodePreload, noRustc }) });
}
