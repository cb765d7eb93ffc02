/**
 * Discord voice gateway v8 constants, from the developer documentation ("Voice Connections";
 * "Opcodes and Status Codes", Voice) and the DAVE protocol text ("Voice Gateway Opcodes").
 */

/** Voice gateway opcodes. */
export const Op = {
  Identify: 0,
  SelectProtocol: 1,
  Ready: 2,
  Heartbeat: 3,
  SessionDescription: 4,
  Speaking: 5,
  HeartbeatAck: 6,
  Resume: 7,
  Hello: 8,
  Resumed: 9,
  ClientsConnect: 11,
  ClientDisconnect: 13,
  DavePrepareTransition: 21,
  DaveExecuteTransition: 22,
  DaveTransitionReady: 23,
  DavePrepareEpoch: 24,
  DaveMlsExternalSender: 25,
  DaveMlsKeyPackage: 26,
  DaveMlsProposals: 27,
  DaveMlsCommitWelcome: 28,
  DaveMlsAnnounceCommitTransition: 29,
  DaveMlsWelcome: 30,
  DaveMlsInvalidCommitWelcome: 31,
} as const;

/** Voice gateway close codes the server sends on demand (and what a client does with them). */
export const CloseCode = {
  /** 4004: the token in Identify/Resume is not valid. */
  AuthenticationFailed: 4004,
  /** 4006: the session is no longer valid; the client must start over (a new Identify). */
  SessionNoLongerValid: 4006,
  /** 4014: disconnected (kicked, channel deleted): do not reconnect. */
  Disconnected: 4014,
  /** 4015: the voice server crashed: resume. */
  VoiceServerCrashed: 4015,
} as const;

/** RTP payload type Discord uses for Opus. */
export const OPUS_PAYLOAD_TYPE = 120;

/** The IP discovery packet (request type 1, response type 2; 74 bytes: type, length 70, SSRC, address, port). */
export const IP_DISCOVERY_LENGTH = 74;
