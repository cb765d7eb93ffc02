/**
 * A pool worker's entry: runs the transcoding work loop, and voice receive's decoding sessions,
 * on the parent port (each takes only its own streams' messages). @module
 */

import { parentPort } from 'node:worker_threads';
import { runWorkerLoop } from './worker-loop.js';
import { runReceiveLoop } from '../../voice/receive/decode/worker-side.js';

if (parentPort) {
  runWorkerLoop(parentPort);
  runReceiveLoop(parentPort);
}
