// The lines the supervisor (native/cmi-contain.c) writes on its report fd, one per write(2):
//
//   root <pid>            the build was exec'd; its root process (and process group) is <pid>
//   exec-failed <errno>   the build could not be exec'd (the supervisor then exits 127)
//   cgroup-failed <errno> the cgroup could not be joined: the supervisor contains the build alone
//   exit <code>           the build's root exited with <code> ...
//   signal <n>            ... or was killed by signal <n>
//   daemon <pid> <comm>   a process still running when the root ended, being stopped now
//
// The C side's header comment lists the same lines; this parser is the reference.

import { constants } from 'node:os';

export type SupervisorRecord =
  | { kind: 'root'; pid: number }
  | { kind: 'exec-failed'; errorCode: string }
  | { kind: 'cgroup-failed'; errorCode: string }
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: NodeJS.Signals }
  | { kind: 'daemon'; pid: number; name: string };

/** One line (without its newline); null for a line this version does not know. */
export function parseSupervisorLine(line: string): SupervisorRecord | null {
  const space = line.indexOf(' ');
  if (space < 0) return null;
  const word = line.slice(0, space);
  const rest = line.slice(space + 1);
  const n = Number.parseInt(rest, 10);
  if (!Number.isFinite(n)) return null;
  switch (word) {
    case 'root':
      return { kind: 'root', pid: n };
    case 'exec-failed':
    case 'cgroup-failed':
      return { kind: word, errorCode: errnoCode(n) };
    case 'exit':
      return { kind: 'exit', code: n };
    case 'signal':
      return { kind: 'signal', signal: signalName(n) };
    case 'daemon': {
      const name = rest.slice(rest.indexOf(' ') + 1);
      return { kind: 'daemon', pid: n, name: rest.includes(' ') ? name : '?' };
    }
    default:
      return null;
  }
}

function errnoCode(n: number): string {
  for (const [code, value] of Object.entries(constants.errno)) if (value === n) return code;
  return `errno ${n}`;
}

function signalName(n: number): NodeJS.Signals {
  for (const [name, value] of Object.entries(constants.signals)) if (value === n) return name as NodeJS.Signals;
  return `SIG${n}` as NodeJS.Signals;
}
