// The settings a repository must not set for a user who has not trusted it, and what the language
// server is told of them in an untrusted workspace: the user's own value (or the default), never a
// workspace or folder value. package.json lists the same keys in
// `capabilities.untrustedWorkspaces.restrictedConfigurations` (a test checks the two agree), so VS
// Code ignores such values too; this answers the server's `workspace/configuration` requests itself
// so that the guarantee does not rest on that alone. Pure (no `vscode`): the client passes `inspect`.

/** Restricted in untrusted workspaces: a build runs these, or a pattern from them runs on every name. */
export const RESTRICTED_SETTINGS: readonly string[] = [
  'compilerMemory.build.command',
  'compilerMemory.builds',
  'compilerMemory.arenas.rules',
];

/** What `WorkspaceConfiguration.inspect` says of one key (the fields read here). */
export interface SettingLayers {
  defaultValue?: unknown;
  globalValue?: unknown;
}

/** The value a restricted key has in an untrusted workspace: the user's, else the default. */
export function untrustedValue(layers: SettingLayers | undefined): unknown {
  return layers?.globalValue !== undefined ? layers.globalValue : layers?.defaultValue;
}

/**
 * The value of a `workspace/configuration` item for `section` in an untrusted workspace: `value` as
 * the editor gave it, with every restricted key at or under `section` replaced by its untrusted value.
 */
export function withoutWorkspaceValues(
  section: string | undefined,
  value: unknown,
  inspect: (key: string) => SettingLayers | undefined,
): unknown {
  let out = value;
  for (const key of RESTRICTED_SETTINGS) {
    if (section === key) return untrustedValue(inspect(key));
    const prefix = section ? `${section}.` : '';
    if (!key.startsWith(prefix) || typeof out !== 'object' || out === null) continue;
    out = replaced(out as Record<string, unknown>, key.slice(prefix.length).split('.'), untrustedValue(inspect(key)));
  }
  return out;
}

/** A copy of `obj` with the value at `path` replaced (objects along the path copied, not changed). */
function replaced(obj: Record<string, unknown>, path: string[], v: unknown): Record<string, unknown> {
  const [head, ...rest] = path;
  const copy = { ...obj };
  if (!rest.length) copy[head!] = v;
  else {
    const inner = copy[head!];
    copy[head!] = replaced(
      typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : {},
      rest,
      v,
    );
  }
  return copy;
}
