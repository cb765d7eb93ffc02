/**
 * Voice output: the interface a player sends packets through, and its adapter over a
 * @discordjs/voice `VoiceConnection`.
 *
 * @module
 */

export { emptyFrameStats } from './output.js';
export type { VoiceOutput, VoiceOutputState, VoiceOutputStatus, VoiceFrameStats } from './output.js';
export { createDiscordJsOutput } from './discordjs-output.js';
export type { DiscordJsVoiceConnection } from './discordjs-output.js';
// Voice receive (`node.listen()`): see receive/index.ts.
export * from './receive/index.js';
