/**
 * A {@link VoiceReceiveSource} a test feeds by hand (no socket, no encryption): what the RTP tap
 * would deliver, for the voice listener's unit tests. Frames pass `openFrame` unchanged.
 */
import type { VoiceReceiveHandler, VoiceReceiveSource } from '../../src/voice/receive/source.js';

export class FakeReceiveSource implements VoiceReceiveSource {
  #handler: VoiceReceiveHandler | null = null;
  readonly users = new Map<number, string>();
  closed = false;

  get handler(): VoiceReceiveHandler {
    if (this.#handler === null) throw new Error('the source is not open');
    return this.#handler;
  }

  open(handler: VoiceReceiveHandler): void {
    this.#handler = handler;
  }

  close(): void {
    this.closed = true;
  }

  userOf(ssrc: number): string | undefined {
    return this.users.get(ssrc);
  }

  openFrame(payload: Uint8Array): Uint8Array {
    return payload;
  }

  /** Speaking (op 5): `ssrc` is `userId`'s. */
  announce(ssrc: number, userId: string): void {
    this.users.set(ssrc, userId);
    this.handler.ssrc(ssrc, userId);
  }

  send(ssrc: number, sequence: number, timestamp: number, payload: Uint8Array): void {
    this.handler.rtp(ssrc, sequence & 0xffff, timestamp >>> 0, payload);
  }
}
