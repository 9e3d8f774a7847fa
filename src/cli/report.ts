// `rsslab report <paths…>`: redraw reports from saved Runs (renderers read Run JSON only).
import { reportCommand } from '../report/command.js';
import { parseFormats } from '../report/write.js';

export async function reportCli(paths: string[], o: { out?: string; format: string; matrix?: string }): Promise<number> {
  return reportCommand(paths, { ...(o.out !== undefined ? { out: o.out } : {}), ...(o.matrix !== undefined ? { matrix: o.matrix } : {}), formats: parseFormats(o.format) });
}
