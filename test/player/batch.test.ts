// The player tests again, with openers that offer `fill()` (the node's opener's way) instead of a
// packet iterator: every behaviour (deadlines, seek, underrun, snapshot/restore, preload,
// failures, streams) must be the same whichever way packets arrive. Fills of 7 packets cross
// the prebuffer, read-ahead, gate and failure boundaries at odd places.
import { useBatches } from './helpers.js';

useBatches(7);
await import('./player.test.js');
await import('./timeline.test.js');
await import('./stream.test.js');
