// The API experiments are written against: the contract, and the addon's typed face.
// Experiments import from here only: dependencies point from experiments to the lab, never back.
export { defineExperiment } from './experiment.js';
export type { ExperimentDefinition, ChildContext, VariantSpec, ParamSpec, Params, Requirement, VariantOutcome, CounterpartSpec } from './experiment.js';
export type { Expectation, ValidationSpec } from '../run/schema.js';
export { timeToReach, evaluateMetric } from '../check/metric.js';
export * from '../core/region.js';
export * from '../core/thp.js';
export * from '../core/heap.js';
export * from '../core/allocator.js';
export * from '../core/errors.js';
export * from '../core/features.js';
export * from '../core/workload.js';
export * from '../core/train-cycle.js';
