// Facts about the environment of a run that a comparison should hold equal: the command and its
// flags, the versions of the tools involved, the host, the sampler. A comparison that crosses
// different ones says so (a tsc upgrade or another machine can move the peak as much as the change
// under review). Pure.

import type { EnvDifference } from '../../../../protocol/compare';
import type { Profile } from '../model';

/**
 * The facts of a profile, as strings: `command`, `flags` (the arguments that start with `-`, in
 * order, values of `--flag=value` included), `cwd`, `tool:<name>` per tool version, `host:platform`,
 * `host:arch`, `host:cpus`, `host:memory`, `host:node`, `sampler` (kind and interval).
 */
export function envFacts(p: Profile): Record<string, string> {
  const run = p.run;
  const facts: Record<string, string> = {
    command: run.command.join(' '),
    flags: run.command.filter((a) => a.startsWith('-')).join(' '),
    cwd: run.cwd,
  };
  for (const [name, version] of Object.entries(run.tools ?? {}).sort(([a], [b]) => a.localeCompare(b)))
    facts[`tool:${name}`] = version;
  if (run.host) {
    facts['host:platform'] = run.host.platform;
    facts['host:arch'] = run.host.arch;
    facts['host:cpus'] = String(run.host.cpus);
    facts['host:memory'] = String(run.host.totalMemoryBytes);
    facts['host:node'] = run.host.node;
  }
  if (run.sampler) facts.sampler = `${run.sampler.kind} every ${run.sampler.intervalMs} ms`;
  if (run.importedFrom) facts.importedFrom = 'yes';
  else facts.allocator = allocatorMode(p);
  return facts;
}

/**
 * How the build's allocators were set (collect/allocator-settings.ts): `eager-purge`, or `defaults`
 * for a run without settings (`--allocator-defaults`, or a profile written before they existed).
 */
export function allocatorMode(p: Profile): 'eager-purge' | 'defaults' {
  return p.run.allocatorSettings?.mode ?? 'defaults';
}

/** The facts that differ (or that only one side has), in a stable order: command and flags first. */
export function envDifferences(base: Record<string, string>, head: Record<string, string>): EnvDifference[] {
  const keys = [...new Set([...Object.keys(base), ...Object.keys(head)])];
  return keys
    .filter((k) => base[k] !== head[k])
    .map((fact) => ({ fact, base: base[fact] ?? null, head: head[fact] ?? null }));
}

/** Differences that mean the two sides ran in different environments (not the command under comparison). */
export function environmentWarnings(diffs: EnvDifference[]): string[] {
  return (
    diffs
      // The allocator settings have their own warning (compare.ts): they decide whether RSS compares.
      .filter((d) => d.fact !== 'command' && d.fact !== 'allocator')
      .map(
        (d) =>
          `${d.fact === 'flags' ? 'the flags differ' : `${d.fact} differs`}: ${d.base ?? '(none)'} → ${d.head ?? '(none)'}`,
      )
  );
}
