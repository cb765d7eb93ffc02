/**
 * The test voice server: see README.md beside this file.
 */
export { grantToken, startVoiceServer, testPki, VoiceServer } from './server.js';
export type { ClientMessage, ReceivedPacket, VoiceGrant, VoiceServerOptions } from './server.js';
export { createTestVoiceChannel } from './adapter.js';
export type { TestVoiceChannel, TestVoiceIds, VoiceServerLike } from './adapter.js';
export { CloseCode, Op } from './protocol.js';
export type { TransportMode } from './transport-crypto.js';
export { startVoiceServerProcess, RemoteVoiceServer } from './process.js';
export type { ReceiveStats } from './process.js';
