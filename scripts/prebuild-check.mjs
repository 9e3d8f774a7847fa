// Run before `npm pack` / `npm publish`: the package must ship a linux-x64 prebuilt addon built from
// the native sources as they are now (prebuilds/SOURCES.sha256), or users would get a stale binary.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeSourcesHash, ROOT } from './native-sources.mjs';

const fail = (m) => {
  console.error(`rsslab prepack: ${m}; run \`npm run build:prebuilds\` first`);
  process.exit(1);
};
if (!existsSync(join(ROOT, 'prebuilds', 'linux-x64', 'rsslab.node'))) fail('prebuilds/linux-x64/rsslab.node is missing');
const stamp = join(ROOT, 'prebuilds', 'SOURCES.sha256');
if (!existsSync(stamp)) fail('prebuilds/SOURCES.sha256 is missing');
if (readFileSync(stamp, 'utf8').trim() !== nativeSourcesHash()) fail('the prebuilt addons were built from other native sources than these');
