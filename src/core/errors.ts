// The errors the addon throws, shaped like Node's own system errors (one contract across the addon boundary):
// a failed syscall is a RsslabSystemError with `code` ('EINVAL'), `errno` (22, positive, as in
// os.constants.errno) and `syscall` ('madvise'), message "EINVAL: Invalid argument, madvise(0x7f…, 4096, MADV_COLLAPSE)".
// The class is handed to native once (src/core/binding.ts), better-sqlite3's way, so `instanceof` works.

/** A kernel feature this machine lacks (MADV_COLLAPSE before Linux 6.1, …). A RsslabSystemError. */
export const ERR_RSSLAB_UNSUPPORTED = 'ERR_RSSLAB_UNSUPPORTED';
/** A Region (or other handle) used after unmap(). A plain Error. */
export const ERR_RSSLAB_UNMAPPED = 'ERR_RSSLAB_UNMAPPED';
/** Bad argument type, unknown enumerated value, out-of-range number: Node's own codes. */
export const ERR_INVALID_ARG_TYPE = 'ERR_INVALID_ARG_TYPE';
export const ERR_INVALID_ARG_VALUE = 'ERR_INVALID_ARG_VALUE';
export const ERR_OUT_OF_RANGE = 'ERR_OUT_OF_RANGE';

export type RsslabErrorCode =
  | typeof ERR_RSSLAB_UNSUPPORTED
  | typeof ERR_RSSLAB_UNMAPPED
  | typeof ERR_INVALID_ARG_TYPE
  | typeof ERR_INVALID_ARG_VALUE
  | typeof ERR_OUT_OF_RANGE;

export class RsslabSystemError extends Error {
  /** 'EINVAL', 'ENOMEM', … ('UNKNOWN_<n>' for an errno without a name), or ERR_RSSLAB_UNSUPPORTED */
  readonly code: string;
  /** the errno value, positive (0 when no call revealed it) */
  readonly errno: number;
  /** the failing call: 'mmap', 'madvise', 'prctl', 'execve', … ('' when none) */
  readonly syscall: string;

  constructor(message: string, code: string, errno: number, syscall: string) {
    super(message);
    this.name = 'SystemError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

/** An error carrying a string `code`, as every error rsslab throws does. */
export interface CodedError extends Error {
  code: string;
}

export function isCodedError(err: unknown, code?: string): err is CodedError {
  if (!(err instanceof Error)) return false;
  const c = (err as { code?: unknown }).code;
  return typeof c === 'string' && (code === undefined || c === code);
}

/** True for a failed syscall or missing feature reported by the addon, optionally with this code ('ENOMEM'). */
export function isRsslabSystemError(err: unknown, code?: string): err is RsslabSystemError {
  return err instanceof RsslabSystemError && (code === undefined || err.code === code);
}

export function isUnsupported(err: unknown): err is RsslabSystemError {
  return isRsslabSystemError(err, ERR_RSSLAB_UNSUPPORTED);
}

export function isUnmapped(err: unknown): err is CodedError {
  return isCodedError(err, ERR_RSSLAB_UNMAPPED);
}

// JS-side validation errors carry Node's codes, like the checks in node:fs do.
export function invalidType(message: string): TypeError & CodedError {
  return Object.assign(new TypeError(message), { code: ERR_INVALID_ARG_TYPE });
}
export function invalidValue(message: string): TypeError & CodedError {
  return Object.assign(new TypeError(message), { code: ERR_INVALID_ARG_VALUE });
}
export function outOfRange(message: string): RangeError & CodedError {
  return Object.assign(new RangeError(message), { code: ERR_OUT_OF_RANGE });
}
