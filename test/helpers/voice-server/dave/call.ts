/**
 * The DAVE side of one voice gateway session, as the test server plays it (protocol.md, "Group
 * Key Exchange"): the voice gateway's MLS external sender, and a second member of the call, the
 * listener, that joins the MLS group the bot creates and decrypts the bot's media frames with the
 * bot's sender key. Both roles use ts-mls (RFC 9420); nothing here comes from the bot's library.
 *
 * The flow (the "Initial Group Creation" path, with the bot as the committing member):
 * 1. the server sends `dave_mls_external_sender_package` (25) with {@link externalSenderPackage};
 * 2. it proposes adding the listener's key package: `dave_mls_proposals` (27) from {@link proposals};
 * 3. the bot commits and welcomes the listener: `dave_mls_commit_welcome` (28), given to
 *    {@link acceptCommitWelcome}, which joins the listener from the Welcome and returns the commit
 *    for `dave_mls_announce_commit_transition` (29);
 * 4. the bot's frames decrypt with {@link decrypt}.
 */
import {
  decodeMlsMessage,
  encodeExternalSender,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  mlsExporter,
  proposeExternal,
  emptyPskIndex,
  type CiphersuiteImpl,
  type ClientState,
  type Credential,
  type ExternalSender,
  type GroupContext,
  type KeyPackage,
  type PrivateKeyPackage,
} from 'ts-mls';
import { KeyRatchet, SENDER_KEY_LABEL, senderContext } from './key-ratchet.js';
import { decryptFrame, isProtocolFrame, type FrameFailure } from './frame.js';

/** DAVE protocol version 1's MLS ciphersuite (protocol.md, "MLS Parameters"). */
const CIPHERSUITE = 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256';
/** A key package lifetime of the maximum span, as the voice gateway requires ("Validation"). */
const MAX_LIFETIME = { notBefore: 0n, notAfter: 2n ** 64n - 1n };

let suite: Promise<CiphersuiteImpl> | undefined;
function ciphersuite(): Promise<CiphersuiteImpl> {
  suite ??= getCiphersuiteImpl(getCiphersuiteFromName(CIPHERSUITE));
  return suite;
}

/** A snowflake as the big-endian u64 MLS identities and group IDs use. */
export function snowflakeBytes(id: string): Uint8Array {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(id));
  return bytes;
}

/** RFC 9420 §2.1.2 variable-size vector: a length prefix, then the bytes. */
function vector(bytes: Uint8Array): Buffer {
  const n = bytes.length;
  const prefix = n < 64 ? Buffer.of(n) : n < 16384 ? Buffer.of(0x40 | (n >> 8), n & 0xff) : Buffer.of(0x80 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  return Buffer.concat([prefix, bytes]);
}

interface PackagePair {
  publicPackage: KeyPackage;
  privatePackage: PrivateKeyPackage;
}

/** The DAVE state of one gateway session. */
export class DaveCall {
  readonly #cs: CiphersuiteImpl;
  readonly #groupId: Uint8Array;
  readonly #botUserId: string;
  readonly #sender: ExternalSender;
  readonly #senderKey: Uint8Array;
  readonly #listenerPackage: PackagePair;
  /** Key packages of the other members the server adds with the listener (simulated speakers). */
  readonly #memberPackages: PackagePair[];
  #listener: ClientState | null = null;
  #botRatchet: KeyRatchet | null = null;
  /** The epoch the group is in, as the server (delivery service) tracks it. */
  epoch = 0n;

  private constructor(cs: CiphersuiteImpl, options: DaveCallOptions, sender: ExternalSender, senderKey: Uint8Array, listenerPackage: PackagePair, memberPackages: PackagePair[]) {
    this.#cs = cs;
    this.#groupId = snowflakeBytes(options.channelId);
    this.#botUserId = options.botUserId;
    this.#sender = sender;
    this.#senderKey = senderKey;
    this.#listenerPackage = listenerPackage;
    this.#memberPackages = memberPackages;
  }

  /** Makes the external sender's signature key and the listener's key package. */
  static async create(options: DaveCallOptions): Promise<DaveCall> {
    const cs = await ciphersuite();
    const keys = await cs.signature.keygen();
    const sender: ExternalSender = {
      signaturePublicKey: keys.publicKey,
      credential: { credentialType: 'basic', identity: new TextEncoder().encode('spence-test-voice-gateway') },
    };
    const capabilities = { versions: ['mls10' as const], ciphersuites: [CIPHERSUITE as typeof CIPHERSUITE], extensions: [], proposals: [], credentials: ['basic' as const] };
    const keyPackage = (userId: string) => generateKeyPackage({ credentialType: 'basic', identity: snowflakeBytes(userId) } satisfies Credential, capabilities, MAX_LIFETIME, [], cs);
    const listenerPackage = await keyPackage(options.listenerUserId);
    const memberPackages = await Promise.all((options.memberUserIds ?? []).map(keyPackage));
    return new DaveCall(cs, options, sender, keys.signKey, listenerPackage, memberPackages);
  }

  /** The payload of `dave_mls_external_sender_package` (25): the ExternalSender struct. */
  externalSenderPackage(): Buffer {
    return Buffer.from(encodeExternalSender(this.#sender));
  }

  /**
   * The payload of `dave_mls_proposals` (27) after the sequence and opcode: operation `append`
   * (0), then the vector of MLSMessages: one external Add proposal for the listener, signed by
   * the external sender for the group's current epoch.
   */
  async proposals(): Promise<Buffer> {
    // An external sender's signature covers the framed content alone (RFC 9420 §6.1: no group
    // context for sender type `external`), so the context here only needs the group ID, the
    // epoch, and (for ts-mls to find the sender's index) the external senders extension.
    const context: GroupContext = {
      version: 'mls10',
      cipherSuite: CIPHERSUITE,
      groupId: this.#groupId,
      epoch: this.epoch,
      treeHash: new Uint8Array(),
      confirmedTranscriptHash: new Uint8Array(),
      extensions: [{ extensionType: 'external_senders', extensionData: encodeExternalSender(this.#sender) }],
    };
    const messages = [];
    for (const pair of [this.#listenerPackage, ...this.#memberPackages]) {
      const proposal = { proposalType: 'add' as const, add: { keyPackage: pair.publicPackage } };
      messages.push(encodeMlsMessage(await proposeExternal({ groupContext: context } as Parameters<typeof proposeExternal>[0], proposal, this.#sender.signaturePublicKey, this.#senderKey, this.#cs)));
    }
    return Buffer.concat([Buffer.of(0), vector(Buffer.concat(messages))]);
  }

  /**
   * Takes `dave_mls_commit_welcome` (28) (after its opcode): the commit (an MLSMessage) and the
   * Welcome (bare, as protocol 1.1.2 says), joins the listener from the Welcome, and returns the
   * commit's bytes for `dave_mls_announce_commit_transition` (29).
   */
  async acceptCommitWelcome(payload: Uint8Array): Promise<Buffer> {
    const decoded = decodeMlsMessage(payload, 0);
    if (decoded === undefined) throw new Error('dave_mls_commit_welcome: no MLSMessage commit');
    const [, commitEnd] = decoded;
    const commit = Buffer.from(payload.subarray(0, commitEnd));
    const rest = payload.subarray(commitEnd);
    if (rest.length === 0) throw new Error('dave_mls_commit_welcome: the commit adds the listener but carries no Welcome');
    // A bare Welcome, or (leniently) one framed as an MLSMessage (version mls10 = 1, wire format mls_welcome = 3).
    const framed = rest[0] === 0 && rest[1] === 1 && rest[2] === 0 && rest[3] === 3 ? rest : Buffer.concat([Buffer.of(0, 1, 0, 3), rest]);
    const welcome = decodeMlsMessage(framed, 0)?.[0];
    if (welcome === undefined || welcome.wireformat !== 'mls_welcome') throw new Error('dave_mls_commit_welcome: the Welcome does not decode');
    const { publicPackage, privatePackage } = this.#listenerPackage;
    this.#listener = await joinGroup(welcome.welcome, publicPackage, privatePackage, emptyPskIndex, this.#cs);
    this.epoch = this.#listener.groupContext.epoch;
    const base = await mlsExporter(this.#listener.keySchedule.exporterSecret, SENDER_KEY_LABEL, senderContext(this.#botUserId), 16, this.#cs);
    this.#botRatchet = new KeyRatchet(base);
    return commit;
  }

  /** True once the listener is in the group and holds the bot's sender key. */
  get joined(): boolean {
    return this.#botRatchet !== null;
  }

  /** The listener's epoch authenticator (what both sides display as the voice privacy code). */
  get epochAuthenticator(): Uint8Array | null {
    return this.#listener?.keySchedule.epochAuthenticator ?? null;
  }

  /**
   * The base secret of a member's sender key (the listener's or another member's: the exporter
   * secret is the group's), for sending frames as that member; null before the listener joined.
   */
  async senderSecret(userId: string): Promise<Uint8Array | null> {
    if (this.#listener === null) return null;
    return mlsExporter(this.#listener.keySchedule.exporterSecret, SENDER_KEY_LABEL, senderContext(userId), 16, this.#cs);
  }

  /** Decrypts a media frame from the bot with its current sender key. */
  decrypt(frame: Uint8Array): Buffer | FrameFailure | 'not-joined' {
    if (this.#botRatchet === null) return isProtocolFrame(frame) ? 'not-joined' : 'not-a-protocol-frame';
    return decryptFrame(frame, this.#botRatchet);
  }
}

/** Who is in the call. */
export interface DaveCallOptions {
  /** The voice channel's ID (the MLS group ID, big-endian u64). */
  channelId: string;
  /** The bot's user ID (whose frames are decrypted). */
  botUserId: string;
  /** The listening member's user ID. */
  listenerUserId: string;
  /** Other members added with the listener (simulated speakers, who send frames: {@link DaveCall.senderSecret}). */
  memberUserIds?: readonly string[];
}
