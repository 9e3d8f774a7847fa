// Lookups keyed by strings from a Run file. A plain object answers `toString`, `constructor` and
// `__proto__` from Object.prototype, so a Run naming such a region, counter or requirement would
// reach a function where a number or a string was expected. Only own properties count here.
export function own<V>(record: Readonly<Record<string, V>> | undefined | null, key: string): V | undefined {
  return record != null && Object.hasOwn(record, key) ? record[key] : undefined;
}
