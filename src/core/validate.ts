// Argument checks in Node's style: wrong type → TypeError ERR_INVALID_ARG_TYPE; right type, bad value
// (NaN, 1.5, negative, too large) → RangeError ERR_OUT_OF_RANGE. They run before any syscall.
import { invalidType, outOfRange } from './errors.js';

export function checkInteger(name: string, value: unknown, min: number, max: number = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number') throw invalidType(`${name} must be a number (an integer); got ${typeof value} ${String(value)}`);
  if (!Number.isInteger(value)) throw outOfRange(`${name} must be an integer; got ${value}`);
  if (value < min || value > max) throw outOfRange(`${name} must be >= ${min} and <= ${max}; got ${value}`);
}

export function checkBoolean(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw invalidType(`${name} must be a boolean; got ${typeof value} ${String(value)}`);
}

export function checkOptions(name: string, value: unknown): asserts value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidType(`${name} must be an object; got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
}
