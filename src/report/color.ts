// Whether to colour what goes to a stream, by the conventions people set once in their shell:
// NO_COLOR (https://no-color.org: any non-empty value turns colour off) wins, then FORCE_COLOR
// ("0"/"false" off, anything else on, the way chalk and Node read it), then a terminal that is not a CI log.
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !(force === '0' || force.toLowerCase() === 'false');
  return stream.isTTY === true && env.CI !== 'true';
}
