/**
 * What a voice listener reads from: a {@link VoiceReceiveSource}. spence's own reads a
 * @discordjs/voice `VoiceConnection` (see rtp-tap.ts); implement the interface to listen to
 * another transport, or to feed a listener in a test.
 *
 * @module
 */

import type { RtcpPacket } from './rtp.js';

/** Where a source delivers what it receives; the listener implements it. */
export interface VoiceReceiveHandler {
  /**
   * An RTP packet from a call member, transport-decrypted: `payload` is its Opus packet, still
   * end-to-end encrypted when the call is (see {@link VoiceReceiveSource.openFrame}). The
   * listener keeps `payload`: pass a buffer nothing else will overwrite.
   */
  rtp(ssrc: number, sequence: number, timestamp: number, payload: Uint8Array): void;
  /** An RTCP packet (its parts) from `ssrc`. */
  rtcp(ssrc: number, packets: RtcpPacket[]): void;
  /** A packet arrived that did not decrypt (counted). */
  rejected(): void;
  /** `ssrc` belongs to `userId` (the voice gateway's Speaking op announced it). */
  ssrc(ssrc: number, userId: string): void;
  /** Members joined the call (voice gateway op 11, Clients Connect). */
  connect(userIds: readonly string[]): void;
  /** A member left the call (voice gateway op 13, Client Disconnect). */
  disconnect(userId: string): void;
  /** The connection is gone for good (destroyed): the listener stops. */
  end(): void;
}

/**
 * A source of received voice. The listener calls {@link open} once, {@link close} once when it
 * stops, and the two look-ups at any time in between.
 */
export interface VoiceReceiveSource {
  /** Starts delivering to `handler`. */
  open(handler: VoiceReceiveHandler): void;
  /** Stops delivering and releases what the source holds. */
  close(): void;
  /** The user `ssrc` belongs to, once announced. */
  userOf(ssrc: number): string | undefined;
  /**
   * The Opus packet inside `payload` from `userId`: decrypted end to end (DAVE) when the call is
   * end-to-end encrypted, `payload` itself when it is not (or for the silence frame, which DAVE
   * lets through); null when it does not decrypt.
   */
  openFrame(payload: Uint8Array, userId: string): Uint8Array | null;
}
