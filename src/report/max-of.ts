// The largest of f(item) over a list, by a loop. Math.max(...list) passes every item as an argument,
// and past ~120,000 of them (a long watch's samples) V8 throws "Maximum call stack size exceeded".
export function maxOf<T>(items: readonly T[], f: (item: T) => number, start: number): number {
  let max = start;
  for (let i = 0; i < items.length; i++) {
    const v = f(items[i]!);
    if (v > max) max = v;
  }
  return max;
}
