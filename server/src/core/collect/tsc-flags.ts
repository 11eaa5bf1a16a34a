// Which flag turns tsc's performance module on, shared by the Node preload (tsc 6, inside the
// user's process) and the collector (tsc 7, native): pure, no imports, so the preload stays
// dependency-free when esbuild inlines it.

/**
 * `--extendedDiagnostics` unless a diagnostics flag is already there, or for the commands that print
 * something else (--version, --help, --init, --showConfig, --listFilesOnly), whose output must not
 * change.
 */
export function tscDiagnosticsFlagToAdd(args: string[]): string[] {
  const opts = args.map((a) => (a.startsWith('-') ? a.replace(/^--?/, '').toLowerCase() : ''));
  const isBuild = opts.includes('b') || opts.includes('build');
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i]!;
    if ((o === 'diagnostics' || o === 'extendeddiagnostics') && args[i + 1]?.toLowerCase() !== 'false') return [];
    if (['version', 'help', 'h', '?', 'all', 'init', 'showconfig', 'listfilesonly'].includes(o)) return [];
    if (o === 'v' && !isBuild) return []; // -v is --version, except with --build where it is --verbose
  }
  return ['--extendedDiagnostics'];
}
