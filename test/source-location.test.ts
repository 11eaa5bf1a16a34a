// A trace's source location opens on a click when it lies inside a workspace folder; anywhere else
// (an absolute path, `..` out of the folder, a symlink leading out) the panel asks first.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSourceLocation } from '../client/src/source-location';

let tmp: string;
let ws: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-source-location-'));
  ws = path.join(tmp, 'ws');
  mkdirSync(path.join(ws, 'src'), { recursive: true });
  writeFileSync(path.join(ws, 'src', 'main.ts'), '');
  writeFileSync(path.join(tmp, 'secret.txt'), '');
  symlinkSync(path.join(tmp, 'secret.txt'), path.join(ws, 'src', 'link.txt'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('resolveSourceLocation', () => {
  it('a relative path inside the folder opens as before', () => {
    expect(resolveSourceLocation('src/main.ts', [ws])).toEqual({ file: path.join(ws, 'src', 'main.ts'), inside: true });
  });

  it('an absolute path inside a folder (any of them) opens', () => {
    expect(resolveSourceLocation(path.join(ws, 'src', 'main.ts'), ['/elsewhere', ws]).inside).toBe(true);
  });

  it.each([
    ['an absolute path elsewhere', () => '/etc/passwd'],
    ['`..` out of the folder', () => '../secret.txt'],
    ['a sibling folder with the same prefix', () => `${ws}-other/x.ts`],
    ['a symlink inside leading out', () => 'src/link.txt'],
  ])('%s asks first', (_what, file) => {
    expect(resolveSourceLocation(file(), [ws]).inside).toBe(false);
  });

  it('without a workspace folder everything asks', () => {
    expect(resolveSourceLocation('/etc/hosts', []).inside).toBe(false);
  });
});
