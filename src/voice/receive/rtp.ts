/**
 * RTP and RTCP as Discord's voice servers send them (RFC 3550, with RTCP multiplexed on the RTP
 * port as RFC 5761 allows): the fixed header fields a receiver needs, read in place, and the
 * sender and receiver reports.
 *
 * @module
 */

/** The RTP payload type Discord uses for Opus. */
export const OPUS_PAYLOAD_TYPE = 120;

/** RTCP packet types (RFC 3550 §12.1): sender report, receiver report, SDES, BYE, APP. */
const RTCP_SR = 200;
const RTCP_RR = 201;
const RTCP_FIRST = 200;
const RTCP_LAST = 204;

/** The RTP fixed header (RFC 3550 §5.1) of one packet, read by {@link readRtpHeader} into a reused object. */
export interface RtpHeader {
  sequence: number;
  timestamp: number;
  ssrc: number;
  payloadType: number;
  marker: boolean;
  /** The P bit: the decrypted payload ends with padding whose last byte is its length. */
  padding: boolean;
  /** The X bit: a header extension follows the CSRCs. */
  extension: boolean;
  /**
   * Bytes authenticated as additional data in Discord's `rtpsize` modes: the fixed header, the
   * CSRCs and, when the X bit is set, the extension's 4-byte preamble (its body is encrypted).
   */
  headerLength: number;
}

/** A fresh {@link RtpHeader} to read into. */
export function emptyRtpHeader(): RtpHeader {
  return { sequence: 0, timestamp: 0, ssrc: 0, payloadType: 0, marker: false, padding: false, extension: false, headerLength: 0 };
}

/**
 * True when `packet` is RTCP rather than RTP: with RTCP on the RTP port, its packet type (200 to
 * 204) sits where RTP's marker bit and payload type are (RFC 5761 §4).
 */
export function isRtcp(packet: Uint8Array): boolean {
  const type = packet[1];
  return packet.length >= 8 && packet[0]! >> 6 === 2 && type !== undefined && type >= RTCP_FIRST && type <= RTCP_LAST;
}

/** Reads the RTP header of `packet` into `out`; false when it is not an RTP version 2 packet. */
export function readRtpHeader(packet: Uint8Array, out: RtpHeader): boolean {
  if (packet.length < 12) return false;
  const first = packet[0]!;
  if (first >> 6 !== 2) return false;
  let length = 12 + 4 * (first & 0x0f);
  const extension = (first & 0x10) !== 0;
  if (extension) length += 4;
  if (length > packet.length) return false;
  out.padding = (first & 0x20) !== 0;
  out.extension = extension;
  out.marker = (packet[1]! & 0x80) !== 0;
  out.payloadType = packet[1]! & 0x7f;
  out.sequence = (packet[2]! << 8) | packet[3]!;
  out.timestamp = ((packet[4]! << 24) | (packet[5]! << 16) | (packet[6]! << 8) | packet[7]!) >>> 0;
  out.ssrc = ((packet[8]! << 24) | (packet[9]! << 16) | (packet[10]! << 8) | packet[11]!) >>> 0;
  out.headerLength = length;
  return true;
}

/**
 * The Opus payload inside a decrypted `rtpsize` body: the header extension's body (its length in
 * 32-bit words is in the preamble, the last two bytes of the authenticated header) leads the
 * plaintext, and with the P bit the last byte counts padding to drop (RFC 3550 §5.1, §5.3.1).
 * Null when the lengths do not fit.
 */
export function rtpPayload(packet: Uint8Array, header: RtpHeader, plaintext: Uint8Array): Uint8Array | null {
  let start = 0;
  let end = plaintext.length;
  if (header.extension) {
    const at = header.headerLength - 2;
    start = 4 * ((packet[at]! << 8) | packet[at + 1]!);
  }
  if (header.padding && end > 0) end -= plaintext[end - 1]!;
  return start <= end ? plaintext.subarray(start, end) : null;
}

/** One reception report block (RFC 3550 §6.4.1): how a sender's stream reached the reporter. */
export interface RtcpReportBlock {
  /** The SSRC whose stream this block is about. */
  ssrc: number;
  /** Packets lost since the previous report, as a fraction (0..1). */
  fractionLost: number;
  /** Packets lost since reception began (may be negative with duplicates). */
  cumulativeLost: number;
  /** The highest sequence number received, extended with its wrap count. */
  highestSequence: number;
  /** Interarrival jitter, in RTP timestamp units (48 kHz samples for Opus). */
  jitter: number;
  /** The middle 32 bits of the last sender report's NTP timestamp, 0 when none. */
  lastSenderReport: number;
  /** Delay since that sender report, in units of 1/65536 s. */
  delaySinceLastSenderReport: number;
}

/** An RTCP sender or receiver report, or another RTCP packet by type. */
export type RtcpPacket =
  | {
      type: 'sender';
      ssrc: number;
      /** The sender's wall clock (NTP format, RFC 3550 §4) as seconds since 1900. */
      ntpSeconds: number;
      /** The RTP timestamp that corresponds to `ntpSeconds`. */
      rtpTimestamp: number;
      packetCount: number;
      octetCount: number;
      reports: RtcpReportBlock[];
    }
  | { type: 'receiver'; ssrc: number; reports: RtcpReportBlock[] }
  | { type: 'other'; packetType: number; ssrc: number };

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function reportBlocks(bytes: Uint8Array, at: number, count: number, end: number): RtcpReportBlock[] {
  const blocks: RtcpReportBlock[] = [];
  for (let i = 0; i < count && at + 24 <= end; i++, at += 24) {
    // cumulative lost: a signed 24-bit number (RFC 3550 §6.4.1).
    const lost = (bytes[at + 5]! << 16) | (bytes[at + 6]! << 8) | bytes[at + 7]!;
    blocks.push({
      ssrc: u32(bytes, at),
      fractionLost: bytes[at + 4]! / 256,
      cumulativeLost: lost & 0x800000 ? lost - 0x1000000 : lost,
      highestSequence: u32(bytes, at + 8),
      jitter: u32(bytes, at + 12),
      lastSenderReport: u32(bytes, at + 16),
      delaySinceLastSenderReport: u32(bytes, at + 20),
    });
  }
  return blocks;
}

/**
 * Parses a decrypted (compound) RTCP packet into its parts (RFC 3550 §6.1): each part's length is
 * in 32-bit words minus one. Stops at the first part whose length does not fit.
 */
export function parseRtcp(bytes: Uint8Array): RtcpPacket[] {
  const out: RtcpPacket[] = [];
  let at = 0;
  while (at + 8 <= bytes.length && bytes[at]! >> 6 === 2) {
    const count = bytes[at]! & 0x1f;
    const type = bytes[at + 1]!;
    const end = at + 4 * (((bytes[at + 2]! << 8) | bytes[at + 3]!) + 1);
    if (end > bytes.length) break;
    const ssrc = u32(bytes, at + 4);
    if (type === RTCP_SR && at + 28 <= end) {
      out.push({
        type: 'sender',
        ssrc,
        ntpSeconds: u32(bytes, at + 8) + u32(bytes, at + 12) / 2 ** 32,
        rtpTimestamp: u32(bytes, at + 16),
        packetCount: u32(bytes, at + 20),
        octetCount: u32(bytes, at + 24),
        reports: reportBlocks(bytes, at + 28, count, end),
      });
    } else if (type === RTCP_RR) {
      out.push({ type: 'receiver', ssrc, reports: reportBlocks(bytes, at + 8, count, end) });
    } else {
      out.push({ type: 'other', packetType: type, ssrc });
    }
    at = end;
  }
  return out;
}
