/**
 * TrackStuckEvent (Lavalink's docs/api/websocket.md), as a Lavalink node sends it: after
 * `lavalink.server.trackStuckThresholdMs` without a frame, `TrackStuckEvent` with that threshold
 * and a `playerUpdate`; the stuck track stays the player's track (Lavalink's player keeps it), and
 * its `TrackEndEvent` comes with what the client does next: `replaced` by a new track, `stopped`,
 * `cleanup` when the player is destroyed. (A client that skips on TrackStuckEvent, as
 * lavalink-client does, would skip twice if the track also ended `loadFailed`.) Playback on the
 * server's ManualClock; the stalling track's media gives 30 kB (about 2.4 s of audio) and then
 * nothing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Provider, TrackMedia } from '../../src/resolve/provider.js';
import type { EventJson, PlayerJson, ServerMessage, TrackJson } from '../../src/server/index.js';
import { startTestServer } from './harness.js';
import type { TestServer, WsClient } from './harness.js';

const SAMPLE = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/media/sample.webm'));

/** `stallsearch:` finds one track, whose media stops after 30 kB and stays silent (until aborted). */
const stallingProvider: Provider = {
  name: 'stalling',
  searchPrefixes: ['stallsearch'],
  canResolve: () => false,
  resolve: async () => ({ type: 'empty' }),
  async search(_query, context) {
    const track = context.createTrack({ source: 'stalling', identifier: 'sample', uri: 'stalling:sample', title: 'Stalling', author: 'spence', durationMs: 10_008, isStream: false, isSeekable: true });
    return { type: 'search', tracks: [track] };
  },
  async open(): Promise<TrackMedia> {
    return {
      container: 'webm',
      contentLength: SAMPLE.length,
      async *read(start, { signal }) {
        if (start < 30_000) yield SAMPLE.subarray(start, 30_000);
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      },
      close() {},
    };
  },
};

const GUILD = '817327181659111454';
const isEvent = (type: EventJson['type']) => (m: ServerMessage): boolean => m.op === 'event' && m.type === type;

describe('TrackStuckEvent', () => {
  let t: TestServer;
  let client: WsClient;
  let playerPath: string;

  beforeEach(async () => {
    t = await startTestServer({ config: { trackStuckThresholdMs: 2_000 }, extraProviders: [stallingProvider] });
    client = await t.connect();
    const ready = await client.next<{ op: 'ready'; resumed: boolean; sessionId: string }>((m) => m.op === 'ready');
    playerPath = `/v4/sessions/${ready.sessionId}/players/${GUILD}`;
  });
  afterEach(async () => {
    await t.close();
  });

  async function trackOf(identifier: string): Promise<TrackJson> {
    const res = await t.rest('GET', `/v4/loadtracks?identifier=${encodeURIComponent(identifier)}`);
    const result = res.json as { data: TrackJson | TrackJson[] };
    return Array.isArray(result.data) ? result.data[0]! : result.data;
  }

  /** Plays the stalling track until it is reported stuck; the messages from the stuck event on. */
  async function stuck(): Promise<{ track: TrackJson; from: number }> {
    const track = await trackOf('stallsearch:sample');
    const before = client.messages.length;
    await t.rest('PATCH', playerPath, { track: { encoded: track.encoded } });
    await client.next(isEvent('TrackStartEvent'), before);
    const event = await client.next<Extract<EventJson, { type: 'TrackStuckEvent' }>>(isEvent('TrackStuckEvent'), before);
    expect(event).toEqual({ op: 'event', type: 'TrackStuckEvent', guildId: GUILD, track: { ...track, info: { ...track.info, position: 0 } }, thresholdMs: 2_000 });
    return { track, from: client.messages.indexOf(event) };
  }

  it('is sent after the threshold with a playerUpdate; the track stays until replaced, then ends `replaced`', async () => {
    const { track, from } = await stuck();
    expect(client.messages[from + 1]).toMatchObject({ op: 'playerUpdate', guildId: GUILD });
    await t.run(5_000);
    expect(client.messages.slice(from).filter(isEvent('TrackEndEvent'))).toEqual([]);
    expect(((await t.rest('GET', playerPath)).json as PlayerJson).track?.encoded).toBe(track.encoded);
    // The client skips: the stuck track ends `replaced`, and the next one starts.
    const next = await trackOf('lbsearch:Short WebM');
    await t.rest('PATCH', playerPath, { track: { encoded: next.encoded } });
    const start = await client.next<Extract<EventJson, { type: 'TrackStartEvent' }>>(isEvent('TrackStartEvent'), from);
    const events = client.messages.slice(from).filter((m) => m.op === 'event') as EventJson[];
    expect(events.map((e) => [e.type, 'reason' in e ? e.reason : undefined, 'track' in e ? e.track.encoded : undefined])).toEqual([
      ['TrackStuckEvent', undefined, track.encoded],
      ['TrackEndEvent', 'replaced', track.encoded],
      ['TrackStartEvent', undefined, next.encoded],
    ]);
    expect(start.track.encoded).toBe(next.encoded);
  });

  it('ends `stopped` when the client stops, `cleanup` when it destroys the player', async () => {
    const { track, from } = await stuck();
    await t.rest('PATCH', playerPath, { track: { encoded: null } });
    const end = await client.next<Extract<EventJson, { type: 'TrackEndEvent' }>>(isEvent('TrackEndEvent'), from);
    expect(end).toMatchObject({ track: { encoded: track.encoded }, reason: 'stopped' });
    expect(((await t.rest('GET', playerPath)).json as PlayerJson).track).toBeNull();

    const again = await stuck();
    expect((await t.rest('DELETE', playerPath)).status).toBe(204);
    const cleanup = await client.next<Extract<EventJson, { type: 'TrackEndEvent' }>>(isEvent('TrackEndEvent'), again.from);
    expect(cleanup).toMatchObject({ track: { encoded: track.encoded }, reason: 'cleanup' });
  });
});
