/** A transcoding pool worker's entry: runs the work loop on the parent port. @module */

import { parentPort } from 'node:worker_threads';
import { runWorkerLoop } from './worker-loop.js';

if (parentPort) runWorkerLoop(parentPort);
