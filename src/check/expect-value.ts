// The value side of an `--expect` (src/check/expect.ts): what a measured figure is held against.
//
//   value := ['-'] term (('+' | '-') term)*
//   term  := SIZE | NUMBER | REF | NUMBER '*' REF | REF '*' NUMBER
//
// At most one term is a metric, and it is added, never subtracted: the Run stores one metric, its
// factor and an offset (the sizes summed), so `rss@start:load + 16MiB` is "the RSS when loading
// began plus 16 MiB of absolute slack" and `1.2 * rss@start:load - 4MiB` is also representable.
// Metric names may contain '-' (a phase "warm-up"), so subtracting after a metric needs spaces:
// `rss@end:load - 4MiB`. A leading '-' makes a negative size, for deltas: `rss@delta:free <= -60MiB`.
import { parseBytes } from '../quantities.js';
import { unitOf } from './metric-unit.js';

/** The parsed right side as the Run's Expectation stores it. */
export interface ValueParts {
  right: string | number;
  factor?: number;
  offset?: number;
}

/** A parse error at `pos` (an index into the value text) spanning `length` characters. */
export class ValueSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: number,
    readonly length: number,
  ) {
    super(message);
  }
}

type Kind = 'number' | 'size' | 'ref' | 'word' | '+' | '-' | '*' | 'other';
interface Token {
  kind: Kind;
  text: string;
  pos: number;
  value?: number;
}

const FORMS = 'a size (300MiB), a metric (rss@start:load), a number times a metric (1.2 * rss@start:load), plus or minus sizes (rss@start:load + 16MiB)';
const UNITS = 'B, KiB, MiB, GiB (binary) or kB, MB, GB (decimal)';
const NUMBER = /^(?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?/i;
// a unit written after a number, unless the word goes on as a metric name ("2 rss@max")
const UNIT = /^\s*([A-Za-z]+)(?![A-Za-z0-9_.:#@])/;
const NAME = /^[A-Za-z_][A-Za-z0-9_.#:@-]*/;

function isRef(name: string): boolean {
  return name.includes('@') || name.startsWith('metric.');
}

function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const rest = s.slice(i);
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '+' || c === '-' || c === '*') {
      tokens.push({ kind: c, text: c, pos: i });
      i++;
      continue;
    }
    const num = NUMBER.exec(rest);
    if (num) {
      const unit = UNIT.exec(rest.slice(num[0].length));
      const text = unit ? rest.slice(0, num[0].length + unit[0].length) : num[0];
      if (!unit) tokens.push({ kind: 'number', text, pos: i, value: Number(num[0]) });
      else {
        let value: number;
        try {
          value = parseBytes(text);
        } catch {
          throw new ValueSyntaxError(`"${text.trim()}" is not a size: the units are ${UNITS}`, i, text.length);
        }
        tokens.push({ kind: 'size', text, pos: i, value });
      }
      i += text.length;
      continue;
    }
    const name = NAME.exec(rest);
    if (name) {
      tokens.push({ kind: isRef(name[0]) ? 'ref' : 'word', text: name[0], pos: i });
      i += name[0].length;
      continue;
    }
    const other = /^[^\s+*-]+/.exec(rest)![0];
    tokens.push({ kind: 'other', text: other, pos: i });
    i += other.length;
  }
  return tokens;
}

interface Term {
  kind: 'ref' | 'number' | 'size';
  sign: 1 | -1;
  token: Token;
  ref?: string;
  factor?: number;
  value?: number;
}

function fail(message: string, at: Token | { pos: number; text: string }): never {
  throw new ValueSyntaxError(message, at.pos, Math.max(1, at.text.length));
}

function isSize(text: string): boolean {
  try {
    parseBytes(text);
    return true;
  } catch {
    return false;
  }
}

/** A metric followed by "-16MiB" without spaces: a name, but most likely meant as a subtraction. */
function checkGluedMinus(t: Token): void {
  const m = /^(.*[A-Za-z0-9_.#])-(\d[\w.]*)$/.exec(t.text);
  if (m && /[A-Za-z]$/.test(m[2]!) && isSize(m[2]!)) {
    fail(`"${t.text}": put spaces around "-" to subtract (metric names may contain "-"): ${m[1]} - ${m[2]}`, t);
  }
}

function readTerm(tokens: Token[], i: number, sign: 1 | -1, end: { pos: number; text: string }): { term: Term; next: number } {
  const t = tokens[i];
  if (!t) fail(`a value is missing at the end: use ${FORMS}`, end);
  const star = tokens[i + 1]?.kind === '*';
  if (t.kind === 'number' || t.kind === 'size') {
    if (!star) return { term: { kind: t.kind, sign, token: t, value: t.value! }, next: i + 1 };
    const ref = tokens[i + 2];
    if (!ref || ref.kind !== 'ref') fail(`"${t.text.trim()} *" must be followed by a metric: a number times a metric, e.g. 1.2 * rss@start:load`, ref ?? end);
    if (t.kind === 'size') fail(`a factor is a plain number, without a unit: e.g. 1.2 * ${ref.text}`, t);
    checkGluedMinus(ref);
    return { term: { kind: 'ref', sign, token: ref, ref: ref.text, factor: t.value! }, next: i + 3 };
  }
  if (t.kind === 'ref') {
    checkGluedMinus(t);
    if (!star) return { term: { kind: 'ref', sign, token: t, ref: t.text }, next: i + 1 };
    const n = tokens[i + 2];
    if (!n || n.kind !== 'number') fail(`"${t.text} *" must be followed by a plain number: a number times a metric, e.g. ${t.text} * 1.2`, n ?? end);
    return { term: { kind: 'ref', sign, token: t, ref: t.text, factor: n.value! }, next: i + 3 };
  }
  if (t.kind === 'word') fail(`"${t.text}" is neither a size (a number, or with a binary unit: 300MiB, 1.5GiB) nor a metric (rss@start:watch)`, t);
  if (t.kind === 'other') fail(`"${t.text}" is not allowed here: use ${FORMS}`, t);
  return fail(`a value is missing before "${t.text}": use ${FORMS}`, t);
}

/**
 * Parse the value side. `checkRef` validates a metric's shape (and throws its own error);
 * errors are ValueSyntaxError with the position of the offending token in `s`.
 */
export function parseValue(s: string, checkRef: (ref: string, at: Token) => void): ValueParts {
  const tokens = tokenize(s);
  const end = { pos: s.length, text: ' ' };
  const terms: Term[] = [];
  let i = 0;
  let sign: 1 | -1 = 1;
  if (tokens[0]?.kind === '-') {
    sign = -1;
    i = 1;
  }
  for (;;) {
    const { term, next } = readTerm(tokens, i, sign, end);
    terms.push(term);
    const t = tokens[next];
    if (!t) break;
    if (t.kind === '*') fail(`one "*" per term: the value is ${FORMS}`, t);
    if (t.kind !== '+' && t.kind !== '-') fail(`expected "+" or "-" before "${t.text}" (the value is ${FORMS})`, t);
    sign = t.kind === '+' ? 1 : -1;
    i = next + 1;
  }

  const refs = terms.filter((t) => t.kind === 'ref');
  if (refs.length > 1) fail(`one metric per side: "${refs[1]!.ref}" cannot be added to "${refs[0]!.ref}"; give the slack as a size, e.g. ${refs[0]!.ref} + 16MiB`, refs[1]!.token);
  const ref = refs[0];
  const sized = terms.filter((t) => t.kind === 'size');
  const plain = terms.filter((t) => t.kind === 'number');
  if (ref) {
    checkRef(ref.ref!, ref.token);
    if (ref.sign < 0) fail(`a metric cannot be subtracted: write it first, e.g. ${ref.ref} - 16MiB`, ref.token);
    if (ref.factor !== undefined && !(Number.isFinite(ref.factor) && ref.factor >= 0)) fail(`the factor must be a finite number ≥ 0`, ref.token);
    const bytes = unitOf(ref.ref!) === 'bytes';
    if (bytes && plain.length) fail(`"${plain[0]!.token.text}" has no unit: ${ref.ref} is in bytes, so say which, e.g. ${plain[0]!.token.text}MiB (${UNITS})`, plain[0]!.token);
    if (!bytes && sized.length) fail(`"${sized[0]!.token.text.trim()}" is a size, but ${ref.ref} is not in bytes: add a plain number`, sized[0]!.token);
    const parts: ValueParts = { right: ref.ref! };
    if (ref.factor !== undefined) parts.factor = ref.factor;
    const slack = [...sized, ...plain];
    if (slack.length) parts.offset = slack.reduce((sum, t) => sum + t.sign * t.value!, 0);
    return parts;
  }
  if (sized.length && plain.length) fail(`"${plain[0]!.token.text}" has no unit, unlike "${sized[0]!.token.text.trim()}": e.g. ${plain[0]!.token.text}MiB`, plain[0]!.token);
  return { right: terms.reduce((sum, t) => sum + t.sign * t.value!, 0) };
}
