/**
 * All the cores: with `spence.workers: 2` the players of the sessions are spread over two worker
 * threads (each with its own node and scheduler, on a real clock), the front in the main thread
 * answers REST and the WebSocket for all of them, events come from every worker to the right
 * session, and `stats` counts the whole node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventJson, PlayerJson, StatsJson, TrackJson } from '../../src/server/index.js';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';

const GUILDS = ['100000000000000001', '100000000000000002', '100000000000000003'];
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ config: { workers: 2, playerUpdateInterval: 1 } });
});
afterAll(async () => {
  await t.close();
});

describe('worker threads', () => {
  it('spreads players over the workers and plays them all, with their events and stats', async () => {
    const client = await t.connect();
    const ready = await client.next<{ op: 'ready'; resumed: boolean; sessionId: string }>((m) => m.op === 'ready');
    const track = ((await t.rest('GET', '/v4/loadtracks?identifier=lbsearch:short%20webm')).json as { data: TrackJson[] }).data[0]!;
    for (const guild of GUILDS) {
      const res = await t.rest('PATCH', `/v4/sessions/${ready.sessionId}/players/${guild}`, { track: { encoded: track.encoded, userData: { guild } } });
      expect(res.status).toBe(200);
      expect((res.json as PlayerJson).track?.encoded).toBe(track.encoded);
    }
    expect(t.server.hosts).toEqual([
      { thread: 'worker', players: 2 },
      { thread: 'worker', players: 1 },
    ]);
    const ends = (): EventJson[] => client.messages.filter((m): m is EventJson => m.op === 'event' && m.type === 'TrackEndEvent');
    // Real time here: the workers' nodes run on their own clocks.
    await t.settle(() => ends().length === GUILDS.length);
    for (const guild of GUILDS) {
      const start = client.messages.find((m) => m.op === 'event' && m.type === 'TrackStartEvent' && m.guildId === guild);
      expect(start).toMatchObject({ track: { encoded: track.encoded, userData: { guild } } });
      expect(ends().find((e) => e.guildId === guild)).toMatchObject({ reason: 'finished' });
      expect(client.messages.some((m) => m.op === 'playerUpdate' && m.guildId === guild)).toBe(true);
    }
    const stats = (await t.rest('GET', '/v4/stats')).json as StatsJson;
    expect(stats).toMatchObject({ players: 3, playingPlayers: 0 });
    const players = (await t.rest('GET', `/v4/sessions/${ready.sessionId}/players`)).json as PlayerJson[];
    expect(players.map((p) => p.guildId).sort()).toEqual(GUILDS);
    expect((await t.rest('DELETE', `/v4/sessions/${ready.sessionId}/players/${GUILDS[0]}`)).status).toBe(204);
    expect((await t.rest('GET', `/v4/sessions/${ready.sessionId}/players/${GUILDS[0]}`)).status).toBe(404);
    expect(t.server.hosts.map((h) => h.players)).toEqual([1, 1]);
    await client.close();
    await t.settle(() => t.server.hosts.every((h) => h.players === 0));
  });

  it('destroys a closed session\'s players on their workers', async () => {
    const client = await t.connect();
    const ready = await client.next<{ op: 'ready'; resumed: boolean; sessionId: string }>((m) => m.op === 'ready');
    for (const guild of GUILDS) await t.rest('PATCH', `/v4/sessions/${ready.sessionId}/players/${guild}`, { volume: 50 });
    expect(((await t.rest('GET', '/v4/stats')).json as StatsJson).players).toBe(3);
    await client.close();
    await t.settle(() => t.server.hosts.every((h) => h.players === 0));
    expect(((await t.rest('GET', '/v4/stats')).json as StatsJson).players).toBe(0);
  });
});
