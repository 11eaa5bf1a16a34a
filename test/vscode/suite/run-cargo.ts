// extensionTestsPath for the Cargo workspace (a copy of test/workspaces/cargo-std).
import { runMocha } from './mocha-runner';

export function run(): Promise<void> {
  return runMocha('ext-cargo', ['profile-cargo.test.js']);
}
