/**
 * `listen()`: a voice listener over a @discordjs/voice `VoiceConnection` (through the RTP tap) or
 * any {@link VoiceReceiveSource}.
 *
 * @module
 */

import { createRtpTap, type DiscordJsReceivingConnection } from './rtp-tap.js';
import { VoiceListener, type ListenOptions, type ListenerEnvironment } from './listener.js';
import type { VoiceReceiveSource } from './source.js';

/** True when `value` implements {@link VoiceReceiveSource}. */
function isReceiveSource(value: unknown): value is VoiceReceiveSource {
  const v = value as Partial<VoiceReceiveSource> | null;
  return typeof v === 'object' && v !== null && typeof v.open === 'function' && typeof v.userOf === 'function' && typeof v.openFrame === 'function';
}

/** @internal `node.listen()`'s work: the node supplies the clock and the worker pool. */
export function listen(target: DiscordJsReceivingConnection | VoiceReceiveSource, options: ListenOptions, environment: ListenerEnvironment): VoiceListener {
  const source = isReceiveSource(target) ? target : createRtpTap(target);
  return new VoiceListener(source, options, environment);
}
