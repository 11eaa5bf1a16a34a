// What is run on a mutant. An importer's mutant: `cmi import --json` (its summary checked by the
// oracles, its profile checked against the model's invariants), then on what it wrote one of
// `summary`, `report`, `export`, `compare` in turn (all four on every mutant would double the run's
// time for little: they read the same profile). A mutant of cmi's own profile: all four.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  classifyExit,
  fingerprint,
  profileViolation,
  summaryViolation,
  warnsOfTruncation,
  worst,
} from './classify.mjs';
import { PROFILE_FORMAT } from './corpus.mjs';
import { runBounded } from './run-bounded.mjs';

let baselineCount = 0;

/** The fixture's own profile (imported once), or null when the fixture itself does not import. */
export async function baselineOf(cli, format, fixture, work, bounds) {
  if (format === PROFILE_FORMAT) return { profileFile: fixture, fingerprint: null };
  const out = path.join(work, `baseline-${baselineCount++}.json`);
  const res = await runBounded(cli, ['import', fixture, '--format', format, '--out', out], bounds);
  if (res.code !== 0) return null;
  const doc = JSON.parse(readFileSync(out, 'utf8'));
  return { profileFile: out, fingerprint: fingerprint(doc) };
}

const DOWNSTREAM = ['summary', 'report', 'export', 'compare'];

function downstreamArgs(step, profile, base, work) {
  switch (step) {
    case 'summary':
      return ['summary', profile, '--json'];
    case 'report':
      return ['report', profile, '--html', path.join(work, 'report.html')];
    case 'export':
      return ['export', profile, '--chrome-trace', path.join(work, 'export.json')];
    default:
      return ['compare', base?.profileFile ?? profile, profile, '--json'];
  }
}

/** Runs the steps; the mutant's outcome is the worst of theirs. */
export async function runMutant({ cli, format, op, index, mutantFile, base, work, bounds }) {
  const steps = [];
  const step = async (name, args, input, oracle) => {
    const res = await runBounded(cli, args, { ...bounds, cwd: work });
    let c = classifyExit(res, input);
    if (c.outcome === 'ok' && oracle) {
      let bad;
      try {
        bad = oracle(res);
      } catch (e) {
        // Exit 0 without a readable result (no profile written, say) is wrong, not a harness fault.
        bad = `exit 0, but its result cannot be read: ${e.message}`;
      }
      if (bad) c = { outcome: 'silently-wrong', why: bad };
    }
    steps.push({ step: name, ...c, code: res.code, signal: res.signal, ms: res.ms, maxRssMb: res.maxRssMb });
    return c;
  };
  const summaryOracle = (res) => {
    try {
      const bad = summaryViolation(JSON.parse(res.stdout));
      return bad && `the summary shows an absurd figure: ${bad}`;
    } catch {
      return 'summary --json is not JSON';
    }
  };

  let profile = mutantFile;
  let chosen = DOWNSTREAM;
  if (format !== PROFILE_FORMAT) {
    profile = path.join(work, 'imported.json');
    const imp = await step(
      'import',
      ['import', mutantFile, '--format', format, '--out', profile, '--json'],
      mutantFile,
      (res) => {
        const doc = JSON.parse(readFileSync(profile, 'utf8'));
        const broken = profileViolation(doc);
        if (broken) return `the imported profile breaks an invariant: ${broken}`;
        if (op === 'truncate' && base && !warnsOfTruncation(doc) && fingerprint(doc) !== base.fingerprint)
          return 'a truncated input imported with no truncation warning';
        return summaryOracle(res);
      },
    );
    if (imp.outcome !== 'ok') return summarize(steps);
    chosen = [DOWNSTREAM[index % DOWNSTREAM.length]];
  }
  for (const s of chosen)
    await step(s, downstreamArgs(s, profile, base, work), profile, s === 'summary' ? summaryOracle : null);
  return summarize(steps);
}

function summarize(steps) {
  const w = steps.reduce(worst, { outcome: 'ok', why: '' });
  const at = steps.find((s) => s === w);
  return { outcome: w.outcome, why: at ? `${at.step}: ${w.why}` : '', steps };
}
