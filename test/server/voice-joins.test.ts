/**
 * Voice joins that go wrong, against the test voice server (TLS gateway, UDP, DAVE on): a
 * connection stuck in a step of its handshake (its IP discovery lost, which @discordjs/voice never
 * retries) or closed before it is ready (which leaves it waiting for a join only the bot's gateway
 * could make) is made anew from the same voice state, and the player connects; a link that gives
 * up says so with WebSocketClosedEvent and joins again on the client's next voice state, even the
 * same one; and no more connections than `concurrentJoins` handshake at once. The links' timeouts
 * run on a ManualClock of their own, moved by the test.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/player/clock.js';
import { discordVoiceLinks } from '../../src/server/index.js';
import type { DiscordVoiceLinksOptions, EventJson, PlayerJson, ServerMessage } from '../../src/server/index.js';
import { startVoiceServer } from '../helpers/voice-server/index.js';
import type { VoiceServer } from '../helpers/voice-server/index.js';
import { USER_ID, startTestServer } from './harness.js';
import type { TestServer, WsClient } from './harness.js';

const GUILD = '817327181659111454';
const OTHER_GUILD = '817327181659111455';
const STEP_TIMEOUT_MS = 15_000;

describe('voice joins through spence serve (DAVE on)', () => {
  let voice: VoiceServer;
  let t: TestServer;
  let client: WsClient;
  let clock: ManualClock;
  let sessionId: string;

  beforeAll(async () => {
    voice = await startVoiceServer();
  });
  afterAll(async () => {
    await voice?.stop();
  });

  async function start(options: DiscordVoiceLinksOptions = {}): Promise<void> {
    clock = new ManualClock();
    t = await startTestServer({ voiceLinks: discordVoiceLinks({ clock, stepTimeoutMs: STEP_TIMEOUT_MS, ...options }) });
    client = await t.connect();
    sessionId = (await client.next<{ op: 'ready'; resumed: boolean; sessionId: string }>((m) => m.op === 'ready')).sessionId;
  }
  beforeEach(() => {
    voice.loseIpDiscoveries(0);
  });
  afterEach(async () => {
    await t?.close();
  });

  /** Sends the guild's voice state (a token the voice server issued for a fresh voice session). */
  async function join(guildId: string, channelId: string, voiceSessionId: string): Promise<void> {
    const token = voice.allow({ guildId, channelId, userId: USER_ID, sessionId: voiceSessionId });
    const res = await t.rest('PATCH', `/v4/sessions/${sessionId}/players/${guildId}`, { voice: { token, endpoint: voice.endpoint, sessionId: voiceSessionId, channelId } });
    expect(res.status).toBe(200);
  }

  async function connected(guildId: string): Promise<boolean> {
    return ((await t.rest('GET', `/v4/sessions/${sessionId}/players/${guildId}`)).json as PlayerJson).state.connected;
  }

  /** Resolves once the player of `guildId` says `connected`, yielding to I/O (the links' clock stands still). */
  async function untilConnected(guildId: string): Promise<void> {
    let done = false;
    let stop = false;
    const loop = (async () => {
      while (!stop && !(done = await connected(guildId))) await new Promise((resolve) => setTimeout(resolve, 10));
    })();
    try {
      await t.settle(() => done);
    } finally {
      stop = true;
      await loop.catch(() => {});
    }
  }

  function counter(event: 'ipDiscoveryLost' | 'refused'): { readonly count: number; stop(): void } {
    let count = 0;
    const listener = (): void => void count++;
    voice.on(event, listener);
    return {
      get count() {
        return count;
      },
      stop: () => voice.off(event, listener),
    };
  }

  const closedEvents = (guildId: string): ServerMessage[] => client.messages.filter((m) => m.op === 'event' && (m as EventJson).type === 'WebSocketClosedEvent' && (m as EventJson).guildId === guildId);

  it('makes anew a connection whose IP discovery was lost, and the player connects', async () => {
    await start();
    const lost = counter('ipDiscoveryLost');
    voice.loseIpDiscoveries(1);
    const sessions = voice.sessions.length;
    await join(GUILD, '987654321098765440', 'lost-discovery');
    await t.settle(() => lost.count === 1);
    // The handshake waits for an answer that never comes; its step times out, and after a
    // second the connection is made anew (a new gateway session, a new IP discovery).
    expect(await connected(GUILD)).toBe(false);
    await clock.advance(STEP_TIMEOUT_MS);
    await clock.advance(1_000);
    await untilConnected(GUILD);
    lost.stop();
    expect(voice.sessions.length).toBe(sessions + 2);
    // A retry that worked is no close the client hears of.
    expect(closedEvents(GUILD)).toEqual([]);
    expect(voice.errors).toEqual([]);
  });

  it('reports a gateway that closes before Ready as WebSocketClosedEvent, makes the connection anew, and the player connects', async () => {
    await start();
    const refused = counter('refused');
    voice.refuseNextIdentify(4006);
    await join(GUILD, '987654321098765441', 'closed-before-ready');
    await t.settle(() => refused.count === 1 && closedEvents(GUILD).length === 1);
    expect(closedEvents(GUILD)[0]).toMatchObject({ code: 4006, reason: 'Session no longer valid', byRemote: true });
    await clock.advance(1_000);
    await untilConnected(GUILD);
    refused.stop();
    expect(voice.errors).toEqual([]);
  });

  it('gives up after its retries with WebSocketClosedEvent 4009, and the same voice state from the client joins anew', async () => {
    await start({ retries: 1 });
    const lost = counter('ipDiscoveryLost');
    voice.loseIpDiscoveries(Infinity);
    await join(GUILD, '987654321098765442', 'gives-up');
    await t.settle(() => lost.count === 1);
    await clock.advance(STEP_TIMEOUT_MS);
    await clock.advance(1_000);
    await t.settle(() => lost.count === 2);
    await clock.advance(STEP_TIMEOUT_MS);
    await t.settle(() => closedEvents(GUILD).length === 1);
    expect(closedEvents(GUILD)[0]).toMatchObject({ code: 4009, reason: 'Session timeout', byRemote: false });
    // Nothing more happens by itself.
    await clock.advance(60_000);
    expect(lost.count).toBe(2);
    expect(await connected(GUILD)).toBe(false);
    // The client answers WebSocketClosedEvent with its voice state, here the same again.
    voice.loseIpDiscoveries(0);
    await join(GUILD, '987654321098765442', 'gives-up');
    await untilConnected(GUILD);
    lost.stop();
    expect(voice.errors).toEqual([]);
  });

  it('lets no more than concurrentJoins connections handshake at once: the next waits until one is ready or fails', async () => {
    await start({ concurrentJoins: 1 });
    const lost = counter('ipDiscoveryLost');
    voice.loseIpDiscoveries(1);
    const sessions = voice.sessions.length;
    await join(GUILD, '987654321098765443', 'gate-first');
    await t.settle(() => lost.count === 1);
    await join(OTHER_GUILD, '987654321098765444', 'gate-second');
    // The first holds the one slot (stuck in its IP discovery): the second has not identified.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(voice.sessions.length).toBe(sessions + 1);
    // The first's step times out: it leaves the slot to the second, which connects; then it joins again itself.
    await clock.advance(STEP_TIMEOUT_MS);
    await untilConnected(OTHER_GUILD);
    await clock.advance(1_000);
    await untilConnected(GUILD);
    lost.stop();
    expect(voice.sessions.slice(sessions).map((s) => s.split('#')[0])).toEqual(['gate-first', 'gate-second', 'gate-first']);
    expect(voice.errors).toEqual([]);
  });
});
