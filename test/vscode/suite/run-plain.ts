// extensionTestsPath for a folder with nothing to build (no tsconfig.json, no Cargo.toml).
import { runMocha } from './mocha-runner';

export function run(): Promise<void> {
  return runMocha('ext-plain', ['no-build.test.js', 'hostile-trace.test.js', 'live-timeline.test.js']);
}
