// The addon's page-map classifier, in the shape src/probe/pagemap.ts accepts (PageMapClassifier):
// the probe room reads files only, so the native decode is handed to it from here by whoever
// measures (the lab's ProcessProbe, the bench). Same kinds and output as the JS decode.
import type { PageMapClassifier } from '../probe/pagemap.js';
import { binding } from './binding.js';

/** pagemap + kpageflags classified in C++ (native/pagemap.cc); the JS decode stays for fixtures and as the reference. */
export const nativePageMapClassifier: PageMapClassifier = (pagemap, pageCount, kpageflagsFd, out, scan) =>
  scan === undefined ? binding().classifyPageMap(pagemap, pageCount, kpageflagsFd, out) : binding().classifyPageMap(pagemap, pageCount, kpageflagsFd, out, scan.pagemapFd, scan.startAddress, scan.stats);
