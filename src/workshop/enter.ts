// Enter on the terminal as the presenter's "Next". stdin is read only while the run waits (the
// runner may ask for consent on the same terminal before that), and left paused otherwise so it
// never keeps the process alive. Lines typed ahead stay buffered and count for the next wait.
import type { Readable } from 'node:stream';

/**
 * Resolves true at the next newline on `input`, false when `cancelled()` turns true first (checked
 * every 200 ms: the page's Next button got there) or when input is not readable at all.
 */
export function waitForEnter(input: Readable, cancelled: () => boolean): Promise<boolean> {
  if (!input.readable) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const finish = (pressed: boolean): void => {
      clearInterval(poll);
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
      resolve(pressed);
    };
    const onData = (chunk: Buffer | string): void => {
      if (String(chunk).includes('\n')) finish(true);
    };
    // end of input (a pipe closed, Ctrl-D): no Enter can come; wait on without it
    const onEnd = (): void => {
      input.off('data', onData);
    };
    const poll = setInterval(() => {
      if (cancelled()) finish(false);
    }, 200);
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}
