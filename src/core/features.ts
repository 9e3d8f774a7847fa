// Which optional memory features this kernel has. Probed once by the addon (native/features.h: madvise
// with length 0 on a scratch mapping, so the answer has no side effects) and cached here.
import type { NativeFeatures } from '../native.js';
import { binding } from './binding.js';

export type Features = Readonly<NativeFeatures>;

let cached: Features | undefined;

export function features(): Features {
  cached ??= Object.freeze({ ...binding().features() });
  return cached;
}
