// Chooses the build's container, strongest first (container.ts): a cgroup under the supervisor, the
// supervisor alone, or the process group. CMI_CONTAINMENT=subreaper or =process-group caps the
// choice (to test the weaker ones, or on a system whose cgroups misbehave).

import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';
import { createBuildCgroup } from './cgroup';
import type { Container, ContainerOptions } from './container';
import { ProcessGroupContainer } from './process-group';
import { SupervisedContainer } from './supervised';

/** The supervisor's file name in dist/ (scripts/build-native.mjs builds it). */
export const CONTAIN_HELPER = 'cmi-contain';

export function openContainer(opts: ContainerOptions): Container {
  const cap = process.env.CMI_CONTAINMENT;
  const helper = path.join(opts.distDir, CONTAIN_HELPER);
  if (process.platform !== 'linux' || cap === 'process-group' || !executable(helper))
    return new ProcessGroupContainer(opts);
  return new SupervisedContainer(helper, cap === 'subreaper' ? null : createBuildCgroup(), opts);
}

/** Present and executable (an unpacked extension may have lost the mode bits): else the fallback. */
function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
