// Child for thp.test.ts: become `sh`, which writes to fd 3 when it was kept across exec. Node marks
// the fd 3 it inherited close-on-exec; inheritFds: [3] (a real counterpart's protocol pipe) keeps it.
import { execWithThp } from '../../../src/core/thp.js';

const keep = process.argv[2] === 'keep';
execWithThp('sh', ['sh', '-c', 'if echo "fd3 open" >&3; then echo kept; else echo closed; fi 2>/dev/null'], { PATH: process.env['PATH'] }, keep ? { inheritFds: [3] } : {});
