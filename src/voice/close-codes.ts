/**
 * Discord's voice gateway close codes and the reasons its documentation gives for them ("Opcodes
 * and Status Codes", Voice Close Event Codes), for a player's `voiceClose` event and the server's
 * `WebSocketClosedEvent`.
 *
 * @module
 */

const REASONS: Readonly<Record<number, string>> = {
  4001: 'Unknown opcode',
  4002: 'Failed to decode payload',
  4003: 'Not authenticated',
  4004: 'Authentication failed',
  4005: 'Already authenticated',
  4006: 'Session no longer valid',
  4009: 'Session timeout',
  4011: 'Server not found',
  4012: 'Unknown protocol',
  4014: 'Disconnected',
  4015: 'Voice server crashed',
  4016: 'Unknown encryption mode',
  4017: 'E2EE/DAVE protocol required',
  4020: 'Bad request',
  4021: 'Disconnected: rate limited',
  4022: 'Disconnected: call terminated',
};

/** Discord's reason for a voice close code; `''` for a code it does not document. */
export function voiceCloseReason(code: number): string {
  return REASONS[code] ?? '';
}
