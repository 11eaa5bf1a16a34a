// Which flag turns tsc's performance module on, shared by the Node preload's writer (tsc 6, inside
// the user's process: writer/header.ts) and its instrumentation (tsc 7, native): pure, no imports,
// so the writer stays dependency-free when esbuild inlines it.

/**
 * The flag to add, or none when a diagnostics flag is already there or for the commands that print
 * something else (--version, --help, --init, --showConfig, --listFilesOnly), whose output must not
 * change.
 *
 * `--extendedDiagnostics` by default (tsc 7 prints its phases only then). With `lean` (tsc 6, where
 * the preload reads the performance marks themselves, and first tries to turn them on in memory
 * without any flag: this is its fallback): `--diagnostics`, which turns on the same
 * marks without the per-node comment and source-map timers that `--extendedDiagnostics` adds to the
 * emitter; in build mode (`-b`) still `--extendedDiagnostics`, the flag that turns on the
 * SolutionBuilder's own marks (which the preload's second switch turns on in memory otherwise).
 */
export function tscDiagnosticsFlagToAdd(args: string[], lean = false): string[] {
  const opts = args.map((a) => (a.startsWith('-') ? a.replace(/^--?/, '').toLowerCase() : ''));
  const isBuild = opts.includes('b') || opts.includes('build');
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i]!;
    if ((o === 'diagnostics' || o === 'extendeddiagnostics') && args[i + 1]?.toLowerCase() !== 'false') return [];
    if (['version', 'help', 'h', '?', 'all', 'init', 'showconfig', 'listfilesonly'].includes(o)) return [];
    if (o === 'v' && !isBuild) return []; // -v is --version, except with --build where it is --verbose
  }
  return [lean && !isBuild ? '--diagnostics' : '--extendedDiagnostics'];
}
