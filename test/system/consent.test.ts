import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { askConsent, canTune } from '../../src/system/consent.js';
import { isRoot, skipReason } from './helpers.js';

/** A terminal stand-in: the prompt logic only looks at isTTY and the streams. */
function tty(answer: string | null): { stdin: PassThrough & { isTTY: boolean }; stdout: PassThrough & { isTTY: boolean }; shown: () => string } {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const stdout = Object.assign(new PassThrough(), { isTTY: true });
  let shown = '';
  stdout.on('data', (chunk: Buffer) => {
    shown += chunk.toString();
    if (answer !== null && shown.includes('[y/N]')) {
      stdin.write(answer + '\n');
      answer = null;
    }
  });
  return { stdin, stdout, shown: () => shown };
}

const changes = ['khugepaged/scan_sleep_millisecs: 10000 -> 100', 'khugepaged/pages_to_scan: 4096 -> 65536'];

describe('consent', () => {
  it('--tune-system - granted without asking', async () => {
    const io = tty(null);
    expect(await askConsent({ tuneSystem: true, changes, ...io, env: {} })).toEqual({ granted: true, reason: '--tune-system was given' });
    expect(io.shown()).toBe('');
  });

  it('no terminal - refused with the reason, nothing asked', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    expect(await askConsent({ tuneSystem: false, changes, stdin, stdout, env: {} })).toEqual({
      granted: false,
      reason: 'no --tune-system and no terminal to ask',
    });
  });

  it('CI set - refused even on a terminal', async () => {
    const io = tty('y');
    expect((await askConsent({ tuneSystem: false, changes, ...io, env: { CI: 'true' } })).granted).toBe(false);
  });

  it.each([
    ['y', true],
    ['YES', true],
    ['', false],
    ['n', false],
    ['maybe', false],
  ])('terminal prompt - answer %j gives %s, and the prompt lists every change', async (answer, granted) => {
    const io = tty(answer);
    const consent = await askConsent({ tuneSystem: false, changes, ...io, env: {} });
    expect(consent.granted).toBe(granted);
    for (const change of changes) expect(io.shown()).toContain(change);
    expect(io.shown()).toContain('Apply them? [y/N]');
  });

  it.skipIf(skipReason(!isRoot, 'canTune is only ok as root'))('canTune - root may write the real THP knobs', () => {
    expect(canTune().ok).toBe(true);
  });
});
