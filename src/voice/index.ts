/**
 * Voice output: the interface a player sends its packets through (`player.connect(output)`), and
 * its adapter over a @discordjs/voice `VoiceConnection` (which `player.connect(connection)` uses
 * by itself).
 *
 * @module
 */

export type { VoiceOutput, VoiceOutputState, VoiceOutputStatus } from './output.js';
export { createDiscordJsOutput } from './discordjs-output.js';
export type { DiscordJsOutput, DiscordJsOutputOptions, DiscordJsVoiceConnection } from './discordjs-output.js';
// Voice receive (`node.listen()`): see receive/index.ts.
export * from './receive/index.js';
