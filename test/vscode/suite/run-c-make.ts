// extensionTestsPath for a C folder with two builds (a Makefile and a package.json script running make).
import { runMocha } from './mocha-runner';

export function run(): Promise<void> {
  return runMocha('ext-c-make', ['builds.test.js']);
}
