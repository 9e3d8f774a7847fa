// The system room's public API: everything rsslab changes on the machine, with snapshot, apply,
// journal and guaranteed restore.
export { STATE_DIR_ENV, defaultStateDir, resolveStateDir, ensureSafeDir, stateDir, defaultLockPath } from './paths.js';
export { acquireLock, holdsLock, withSystemLock, type LockOptions, type LockOwner, type SystemLock } from './lock.js';
export {
  Journal,
  restoreJournal,
  describeRestore,
  type RestoreReport,
  type RestoreJournalResult,
  type KnobEntry,
  type CgroupEntry,
  type JournalData,
} from './journal.js';
export {
  KNOB_NAMES,
  THP_SYSFS,
  thpDir,
  knobPath,
  isKnobName,
  validateKnob,
  validateChanges,
  snapshotKnobs,
  canTune,
  type KnobName,
  type KnobSnapshot,
  type KnobOptions,
  type CanTune,
} from './knobs.js';
export { SystemSession, openSystemSession, KnobWriteError, type SystemSessionOptions } from './session.js';
export {
  cgroupSupport,
  createCgroup,
  CgroupSandbox,
  type CgroupSupport,
  type CgroupLayout,
  type CgroupMode,
  type CgroupUsage,
  type CgroupOptions,
  type CreateCgroupOptions,
} from './cgroup.js';
export { removeCgroupDir, CGROUP_NAME_MARK, type RemoveResult } from './cgroup-remove.js';
export { planV2, SELF_LEAF_PREFIX, type V2Plan, type V2Inspect } from './cgroup-v2-plan.js';
export { delegate, undoDelegation, type DelegationEntry, type UndoResult } from './cgroup-delegate.js';
export {
  parseLdconfig,
  parseDpkgStatus,
  findAllocators,
  findAllocatorsSync,
  allocatorEnv,
  mergeGlibcTunables,
  type InstalledAllocator,
  type AllocatorOptions,
  type AllocatorEnvResult,
  type LdconfigEntry,
} from './allocators.js';
export { askConsent, type Consent, type ConsentOptions } from './consent.js';
export { installRestoreGuards, type Restorable, type GuardOptions } from './guard.js';
export { knobValue } from './sysfs.js';
export { isAlive, parseProcStat, currentIdentity, type ProcessIdentity } from './process-identity.js';
