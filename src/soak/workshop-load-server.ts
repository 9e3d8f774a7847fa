// The server side of the "workshop-load" soak area, in its own process so that its memory and its
// event loop are measured apart from the clients: a real workshop session (madv-free, quick, step
// mode, so the sampler keeps sampling the waiting child while the crowd arrives). Prints one JSON
// line { openUrl, port, token, pid } when listening; SIGTERM closes it.
import { startWorkshop } from '../workshop/session.js';

const outDir = process.argv[2];
if (!outDir) {
  process.stderr.write('usage: workshop-load-server <outDir>\n');
  process.exit(2);
}
const ws = await startWorkshop({ experiments: ['madv-free'], variants: ['dontneed', 'free'], quick: true, step: true, outDir, command: ['rsslab', 'soak', 'workshop-load'] });
ws.done.catch(() => {});
process.stdout.write(JSON.stringify({ openUrl: ws.openUrl, port: ws.port, token: ws.token, pid: process.pid }) + '\n');
process.on('SIGTERM', () => {
  void ws.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
