// The per-process THP switch, prctl(PR_SET_THP_DISABLE): seed 004's fix that needs no root. fork copies it
// and execve keeps it, so a launcher can set it and then become the program (execWithThp).
import { binding } from './binding.js';
import { checkBoolean } from './validate.js';
import { invalidType, invalidValue } from './errors.js';

/** true when THP is disabled for this process (PR_GET_THP_DISABLE). */
export function getThpDisable(): boolean {
  return binding().thpDisableGet();
}

/** Disable (true) or re-enable (false) THP for this process and every process it forks or execs afterwards. */
export function setThpDisable(disabled: boolean): void {
  checkBoolean('disabled', disabled);
  binding().thpDisableSet(disabled);
}

export interface ExecOptions {
  /** the THP flag the new program starts with; default: leave the current one */
  thpDisabled?: boolean;
  /** descriptors above stdio the new program keeps (Node marks inherited ones close-on-exec), e.g. [3] */
  inheritFds?: number[];
}

/**
 * Replace this process with `file` (looked up in env.PATH, then this process's PATH, when it has no '/'),
 * as execve(2) does: same pid, the environment given here only, the prctl THP flag kept.
 * `args[0]` is the program's name. Only returns by throwing (RsslabSystemError ENOENT, EACCES, …).
 */
export function execWithThp(file: string, args: readonly string[], env: Readonly<Record<string, string | undefined>>, options: ExecOptions = {}): never {
  if (typeof file !== 'string' || file.length === 0) throw invalidType(`file must be a non-empty string; got ${typeof file} ${String(file)}`);
  if (file.includes('\0')) throw invalidValue('file must not contain NUL characters');
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw invalidType('args must be an array of strings (args[0] is the program name)');
  // execve takes C strings: a NUL would cut an argument short without a word
  const nul = args.findIndex((a) => a.includes('\0'));
  if (nul >= 0) throw invalidValue(`args[${nul}] must not contain NUL characters`);
  if (typeof env !== 'object' || env === null) throw invalidType('env must be an object of strings');
  const vars: Record<string, string> = {};
  // own enumerable keys only (Object.entries), as child_process does
  for (const [k, v] of Object.entries(env)) {
    if (k === '' || k.includes('=') || k.includes('\0')) throw invalidValue(`env key ${JSON.stringify(k)} is not a variable name: it must be non-empty, without '=' or NUL`);
    if (v === undefined) continue;
    if (typeof v !== 'string') throw invalidType(`env.${k} must be a string; got ${typeof v}`);
    if (v.includes('\0')) throw invalidValue(`env.${k} must not contain NUL characters`);
    vars[k] = v;
  }
  const inherit = options.inheritFds ?? [];
  if (!Array.isArray(inherit) || !inherit.every((fd) => Number.isInteger(fd) && fd > 2 && fd < 1 << 20)) throw invalidType('options.inheritFds must be an array of descriptors above 2');
  if (options.thpDisabled === undefined) return binding().execve(file, [...args], vars, [...inherit]);
  checkBoolean('options.thpDisabled', options.thpDisabled);
  const before = getThpDisable();
  setThpDisable(options.thpDisabled);
  try {
    return binding().execve(file, [...args], vars, [...inherit]);
  } finally {
    // only reached when execve failed: this process goes on, with the flag it had
    setThpDisable(before);
  }
}
