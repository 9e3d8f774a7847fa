// The probe API: pure parsers of kernel text (fixtures test them) and thin readers with a root
// parameter. Everything here runs in the parent, reading /proc/<child>/...; never in the measured process.
export * from './fields.js';
export * from './procfile.js';
export * from './smaps.js';
export * from './status.js';
export * from './vmstat.js';
export * from './meminfo.js';
export * from './thp.js';
export * from './pagesize.js';
export * from './pagemap.js';
export * from './cgroup.js';
export * from './machine.js';
export * from './sample.js';
