// rsslab as a library: the addon's typed face, the probes, the runner, and Run files.
export * from './core/region.js';
export * from './core/thp.js';
export * from './core/heap.js';
export * from './core/allocator.js';
export * from './core/workload.js';
export * from './core/errors.js';
export * from './core/features.js';
export * as probe from './probe/index.js';
export { defineExperiment } from './lab/experiment.js';
export type { ExperimentDefinition, ChildContext, VariantSpec, ParamSpec, Params } from './lab/experiment.js';
export { runExperiment, UsageError, type RunOptions } from './lab/runner.js';
export { watch, type WatchOptions } from './lab/watch.js';
export type { RunEvent, RunObserver } from './lab/events.js';
export * from './run/schema.js';
export { parseRun, validateRun, RunFormatError } from './run/validate.js';
export { readRunFile, writeRunFile } from './run/io.js';
export { evaluateMetric, timeToReach } from './check/metric.js';
export { judge, rejudge } from './check/expectations.js';
