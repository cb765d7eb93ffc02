/**
 * The entry of the speakers process (see speakers-process.ts): a test voice server, and its
 * simulated members sending a file's Opus packets in a loop, each from its own place in the file.
 */
import { createReadStream } from 'node:fs';
import { demux } from '../../../src/demux/index.js';
import { startVoiceServer, type VoiceServer } from './server.js';
import { SimulatedCall, type SimulatedSpeaker } from './speakers.js';
import type { FromSpeakers, ToSpeakers } from './speakers-process.js';

let server: VoiceServer | null = null;
let call: SimulatedCall | null = null;
const packets: Uint8Array[] = [];
const members: { speaker: SimulatedSpeaker; sequence: number; timestamp: number; at: number }[] = [];

function send(message: FromSpeakers): void {
  process.send?.(message);
}

/** Sends every member's next packet once per 20 ms for `seconds` (catching up when a timer is late). */
function play(seconds: number): Promise<{ packets: number; late: number }> {
  return new Promise((resolve) => {
    const start = performance.now();
    const frames = Math.round((seconds * 1000) / 20);
    let sent = 0;
    let done = 0;
    let late = 0;
    const tick = () => {
      const due = Math.min(frames, Math.floor((performance.now() - start) / 20) + 1);
      if (due - done > 1) late += due - done - 1;
      for (; done < due; done++) {
        for (const m of members) {
          m.speaker.send(m.sequence, m.timestamp, packets[m.at]!);
          m.sequence = (m.sequence + 1) % 65536;
          m.timestamp = (m.timestamp + 960) % 2 ** 32;
          m.at = (m.at + 1) % packets.length;
          sent++;
        }
      }
      if (done >= frames) return resolve({ packets: sent, late });
      setTimeout(tick, Math.max(0, start + 20 * done - performance.now()));
    };
    tick();
  });
}

process.on('message', (message: ToSpeakers) => {
  void (async () => {
    if (message.type === 'start') {
      server = await startVoiceServer({ ...message.options, pki: message.pki, secret: Buffer.from(message.secret, 'hex') });
      for await (const packet of demux(createReadStream(message.file))) packets.push(Uint8Array.from(packet.data));
      send({ type: 'started', endpoint: server.endpoint });
    } else if (message.type === 'call') {
      call = await SimulatedCall.open(server!, server!.sessions.at(-1)!);
      const ssrcs: Record<string, number> = {};
      for (const [i, userId] of message.members.entries()) {
        const speaker = await call.speaker(userId);
        speaker.announce();
        ssrcs[userId] = speaker.ssrc;
        members.push({ speaker, sequence: (i * 7919) % 65536, timestamp: i * 1_000_003, at: (i * 37) % packets.length });
      }
      send({ type: 'ready', ssrcs });
    } else if (message.type === 'play') {
      send({ type: 'played', ...(await play(message.seconds)) });
    } else if (message.type === 'stop') {
      await call?.close();
      await server?.stop();
      send({ type: 'stopped' });
      process.exit(0);
    }
  })();
});
process.on('disconnect', () => process.exit(0));
