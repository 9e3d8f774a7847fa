// Messages between the measured child and the observing parent (Node IPC channel).
// The child says only where it is and what it holds; all timing, sampling and judging happen in
// the parent, so the observer does not disturb what it observes (seed 002: the metrics exporter
// itself was a top allocator).
import type { AllocatorRecord } from '../run/schema.js';
import type { Params } from './experiment.js';

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'info'; allocator: AllocatorRecord; thpDisable: boolean; pid: number }
  | { type: 'mark'; seq: number; phase: string; label: string }
  | { type: 'tag'; seq: number; name: string; address: string; sizeBytes: number }
  | { type: 'untag'; seq: number; name: string }
  | { type: 'report'; values: Record<string, number | null> }
  | { type: 'log'; message: string }
  | { type: 'done' }
  | { type: 'fail'; message: string; stack: string | null; code: string | null };

export type ParentMessage =
  | { type: 'start'; experimentId: string; module: string; variantId: string; variantLabel: string; params: Params; thpDisable: boolean }
  | { type: 'ack'; seq: number };

export function isChildMessage(m: unknown): m is ChildMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}
