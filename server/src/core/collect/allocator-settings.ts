// Eager purge: the allocators' settings that hand freed memory back to the OS at once, so that the
// build's RSS follows its live heap instead of hiding every free (rolldown freed its AST arenas, its
// live heap fell 23 %, its max RSS moved 2.66 MiB: mimalloc kept the pages).
//
// The settings are environment variables read by the allocators linked into the build's programs:
// - mimalloc (rolldown's and oxc's napi bindings, many Rust tools): MIMALLOC_PURGE_DELAY=0 (v2.1+
//   and v3) purges a page as soon as it is free, and MIMALLOC_PURGE_DECOMMITS=1 makes a purge give
//   the memory back (decommit) rather than MADV_FREE it, which Linux reclaims only under memory
//   pressure. v1 and v2.0 named them MIMALLOC_RESET_DELAY and MIMALLOC_RESET_DECOMMITS (v2.1+ still
//   read those names as aliases), and v1 resets free pages only with MIMALLOC_PAGE_RESET=1.
// - jemalloc (rustc on Linux; tikv-jemallocator in Rust programs): dirty_decay_ms:0 and
//   muzzy_decay_ms:0 purge dirty pages at once. rustc 1.95 reads MALLOC_CONF (its jemalloc is
//   unprefixed); a jemalloc built with the `_rjem_` prefix (tikv-jemalloc-sys, older rustc) reads
//   _RJEM_MALLOC_CONF.
// - glibc malloc: GLIBC_TUNABLES with a fixed mmap_threshold of 64 KiB (each block of 64 KiB or more
//   gets its own mapping, unmapped on free; by default the threshold starts at 128 KiB and rises up
//   to 32 MiB as the program frees large blocks, after which they stay in the heap) and a fixed
//   trim_threshold of 128 KiB (the top of the heap is returned past 128 KiB, where by default the
//   threshold rises with the mmap threshold). glibc never returns free space in the middle of its
//   heap without malloc_trim(): small blocks freed under live ones stay resident either way.
//
// A user's own value wins: a variable the user set is kept as it is (mimalloc), or ours go first
// and the user's options after them (jemalloc applies a conf string left to right, so the user's
// options override ours), or ours are added only for the tunables the user did not name (glibc).
// The settings are recorded in the profile's run facts (RunFacts.allocatorSettings).

import type { RunFacts } from '../model';
import type { Instrumentation } from './instrumentation';

export type AllocatorSettings = NonNullable<RunFacts['allocatorSettings']>;

const MIMALLOC: Record<string, string> = {
  MIMALLOC_PURGE_DELAY: '0',
  MIMALLOC_PURGE_DECOMMITS: '1',
  MIMALLOC_RESET_DELAY: '0',
  MIMALLOC_RESET_DECOMMITS: '1',
  MIMALLOC_PAGE_RESET: '1',
};

const JEMALLOC_CONF = 'dirty_decay_ms:0,muzzy_decay_ms:0';
const JEMALLOC_VARS = ['MALLOC_CONF', '_RJEM_MALLOC_CONF'];

/** glibc's tunables: 64 KiB and 128 KiB, fixed (setting them turns off glibc's dynamic thresholds). */
export const GLIBC_MALLOC_TUNABLES: Record<string, string> = {
  'glibc.malloc.mmap_threshold': String(64 * 1024),
  'glibc.malloc.trim_threshold': String(128 * 1024),
};

/**
 * The variables to set for eager purge, merged with the build's environment `env` (which is not
 * changed): the final value of every variable this sets, in a stable order.
 */
export function eagerPurgeEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(MIMALLOC)) if (!env[name]) out[name] = value;
  for (const name of JEMALLOC_VARS) {
    const mine = env[name]?.trim();
    out[name] = mine ? `${JEMALLOC_CONF},${mine}` : JEMALLOC_CONF;
  }
  const user = (env.GLIBC_TUNABLES ?? '').split(':').filter((t) => t.trim() !== '');
  const named = new Set(user.map((t) => t.split('=')[0]!.trim()));
  const ours = Object.entries(GLIBC_MALLOC_TUNABLES)
    .filter(([name]) => !named.has(name))
    .map(([name, value]) => `${name}=${value}`);
  if (ours.length) out.GLIBC_TUNABLES = [...user, ...ours].join(':');
  return out;
}

/**
 * Sets the eager-purge variables in the build's environment before it is spawned, and records them
 * in the profile's run facts. Put it first: the other collectors then see the final environment.
 */
export function allocatorSettingsInstrumentation(): Instrumentation {
  let applied: AllocatorSettings | undefined;
  return {
    name: 'allocator settings',
    prepare(ctx) {
      const env = eagerPurgeEnv(ctx.env);
      Object.assign(ctx.env, env);
      applied = { mode: 'eager-purge', env };
    },
    async collect() {
      return applied ? { allocatorSettings: applied } : {};
    },
  };
}
