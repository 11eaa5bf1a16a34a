// extensionTestsPath for the TypeScript workspace (a copy of test/workspaces/tsc-small).
import { runMocha } from './mocha-runner';

export function run(): Promise<void> {
  return runMocha('ext-tsc', [
    'activation.test.js',
    'profile-tsc.test.js',
    'hover.test.js',
    'timeline.test.js',
    'navigation.test.js',
    'build-outcomes.test.js',
    'import-profile.test.js',
    'compare.test.js',
    'side-bar.test.js',
  ]);
}
