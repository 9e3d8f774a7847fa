// Which distribution a machine runs, from os-release(5): /etc/os-release, else /usr/lib/os-release.
// A Run records it so Runs from a CI matrix (Ubuntu 22.04 and 24.04, Debian…) can be told apart:
// the same kernel version may ship with other THP defaults and allocator builds on another distro.
import fs from 'node:fs';
import path from 'node:path';

/** The value of KEY=value (quotes and their escapes removed), or null. Takes the text, so fixtures test it. */
export function osReleaseField(text: string, key: string): string | null {
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m || m[1] !== key) continue;
    const raw = m[2]!.trim();
    const quoted = /^(["'])(.*)\1$/.exec(raw);
    return (quoted ? quoted[2]!.replace(/\\(["'$`\\])/g, '$1') : raw) || null;
  }
  return null;
}

/** PRETTY_NAME ("Debian GNU/Linux 12 (bookworm)"), else NAME VERSION_ID; null when neither file is readable. */
export function readDistro(root = '/'): string | null {
  for (const file of ['etc/os-release', 'usr/lib/os-release']) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(root, file), 'utf8').slice(0, 16_384);
    } catch {
      continue;
    }
    const pretty = osReleaseField(text, 'PRETTY_NAME');
    if (pretty) return pretty;
    const name = osReleaseField(text, 'NAME');
    if (name) return [name, osReleaseField(text, 'VERSION_ID')].filter(Boolean).join(' ');
  }
  return null;
}
