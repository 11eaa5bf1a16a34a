// Settings a repository must not set for a user who hasn't trusted it: package.json declares them
// restricted, and the language client tells the server only the user's value of each in an
// untrusted workspace (client/src/restricted-settings.ts, used by configuration-middleware.ts).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESTRICTED_SETTINGS, withoutWorkspaceValues } from '../client/src/restricted-settings';
import { repoRoot } from './helpers';

const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const REDOS = ['evil=^(a+)+$'];

describe('restricted settings', () => {
  it('package.json restricts compilerMemory.arenas.rules, and the same keys as the client', () => {
    const declared: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    expect(declared).toContain('compilerMemory.arenas.rules');
    expect([...declared].sort()).toEqual([...RESTRICTED_SETTINGS].sort());
    for (const key of declared) expect(manifest.contributes.configuration.properties).toHaveProperty([key]);
  });

  // What `inspect` says when the repository's .vscode/settings.json sets a ReDoS rule.
  const layers = (globalValue?: unknown) => (key: string) =>
    key === 'compilerMemory.arenas.rules'
      ? { defaultValue: [], ...(globalValue !== undefined ? { globalValue } : {}), workspaceValue: REDOS }
      : { defaultValue: undefined };

  it('the server asking for the key gets the default, not the workspace value', () => {
    expect(withoutWorkspaceValues('compilerMemory.arenas.rules', REDOS, layers())).toEqual([]);
  });

  it("the user's own value still applies", () => {
    expect(withoutWorkspaceValues('compilerMemory.arenas.rules', REDOS, layers(['mine=Pool::grow']))).toEqual([
      'mine=Pool::grow',
    ]);
  });

  it('asking for a whole section replaces the restricted key inside it and keeps the rest', () => {
    const asked = { arenas: { rules: REDOS }, sampling: { intervalMs: 5 } };
    expect(withoutWorkspaceValues('compilerMemory', asked, layers())).toEqual({
      arenas: { rules: [] },
      sampling: { intervalMs: 5 },
      build: { command: undefined },
      builds: undefined,
    });
    expect(asked.arenas.rules).toBe(REDOS); // the editor's object is not changed
    expect(withoutWorkspaceValues('compilerMemory.sampling', { intervalMs: 5 }, layers())).toEqual({ intervalMs: 5 });
  });
});
