// Arena rules from settings a repository can set, or from `--arena-rule`: their patterns run in RE2
// (linear time), so a catastrophic pattern returns at once; what RE2 can't run is refused by name.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArenaRuleError, DEFAULT_ARENA_RULES, parseArenaRule } from '../server/src/core/analysis/arena-rules';
import { importFile } from '../server/src/core/importers';
import { cliPath, repoRoot } from './helpers';

describe('arena rule patterns run in linear time', () => {
  it('`^(a+)+$` on a long name returns (a backtracking engine would not, within the test timeout)', () => {
    const rule = parseArenaRule('evil=^(a+)+$');
    // JavaScript's RegExp takes about 2^n steps here: n = 40 already runs for minutes.
    expect(rule.match.test(`${'a'.repeat(100_000)}!`)).toBe(false);
    expect(rule.match.test('aaaa')).toBe(true);
  }, 10_000);

  it('a nested-quantifier rule over a real heaptrack profile: it ends, and the rules before it keep their arenas', async () => {
    const file = path.join(repoRoot, 'test/fixtures/arena-inference/heaptrack.rustc-tokenizer.zst');
    const evil = parseArenaRule('evil=^([a-z_:]+_?)+$');
    const r = await importFile(file, { arenaRules: [...DEFAULT_ARENA_RULES, evil] });
    const names = (r.arenas ?? []).map((a) => a.name);
    expect(names).toContain('rustc_arena::DroplessArena');
    expect(names).toContain('evil'); // it ran: the stacks no arena rule claims have plain lower-case frames (`main`)
  }, 60_000);

  it.each([
    ['backref=(ab)\\1', 'backref', 'a backreference'],
    ['named[pool]=(?<x>a)\\k<x>', 'named', 'a backreference'],
    ['ahead=foo(?=bar)', 'ahead', 'a lookahead or lookbehind'],
    ['behind=(?<!std::)alloc', 'behind', 'a lookahead or lookbehind'],
  ])('refuses %s, naming the rule and what RE2 cannot run', (spec, name, what) => {
    expect(() => parseArenaRule(spec)).toThrow(ArenaRuleError);
    expect(() => parseArenaRule(spec)).toThrow(`arena rule "${name}": the pattern uses ${what}`);
  });

  it('takes what only looks like those: escaped backslashes, classes, named groups', () => {
    expect(parseArenaRule('lit=a\\\\1').match.test('a\\1')).toBe(true);
    expect(parseArenaRule('cls=[(?=]x').match.test('=x')).toBe(true);
    expect(parseArenaRule('grp=(?<g>Arena)::grow').match.test('Arena::grow')).toBe(true);
  });

  it('cmi import --arena-rule refuses a lookahead with a usage error naming the rule', () => {
    const r = spawnSync(
      process.execPath,
      [cliPath, 'import', 'x.heaptrack.zst', '--arena-rule', 'mine=Arena(?=::grow)'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--arena-rule: arena rule "mine": the pattern uses a lookahead or lookbehind');
  });
});
