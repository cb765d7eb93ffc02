/**
 * A player worker's entry: its own spence node (and so its own scheduler), a
 * {@link LocalPlayerHost} with the players the front gives it, answering the front's calls and
 * forwarding what the players send to their sessions.
 *
 * @module
 */

import { parentPort, workerData } from 'node:worker_threads';
import { isSpenceError } from '../errors.js';
import { Node } from '../node.js';
import type { NodeOptions } from '../node/node.js';
import { nodeOptionsFromConfig, playerOptionsFromConfig, voiceLinkOptionsFromConfig } from './node-options.js';
import { LocalPlayerHost } from './player-host.js';
import { redisStoresFromConfig } from './redis-store.js';
import { discordVoiceLinks } from './discord-voice-link.js';
import type { VoiceLinkFactory } from './voice-link.js';
import type { FromPlayerWorker, PlayerWorkerData, ToPlayerWorker, WorkerSetupModule } from './worker-protocol.js';

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) return;
  const { config, setup } = workerData as PlayerWorkerData;
  let extra: NodeOptions = {};
  let voiceLinks: VoiceLinkFactory = discordVoiceLinks(voiceLinkOptionsFromConfig(config));
  if (setup !== undefined) {
    const module = (await import(setup.module)) as WorkerSetupModule;
    extra = (await module.nodeOptions?.(config, setup.data)) ?? {};
    voiceLinks = (await module.voiceLinks?.(config, setup.data)) ?? voiceLinks;
  }
  // The fleet's mirror store, when there is one: this worker's players open the metadata tracks.
  const redis = redisStoresFromConfig(config);
  const node = new Node({ ...nodeOptionsFromConfig(config), ...extra, mirror: { ...(redis ? { store: redis.mirror } : {}), ...extra.mirror } });
  const post = (message: FromPlayerWorker): void => port.postMessage(message);
  const host = new LocalPlayerHost({
    node,
    voiceLinks,
    updateIntervalMs: config.playerUpdateInterval * 1000,
    playerOptions: playerOptionsFromConfig(config),
    onMessage: (sessionId, message) => post({ sessionId, message }),
  });
  port.on('message', (msg: ToPlayerWorker) => {
    const run = async (): Promise<unknown> => {
      switch (msg.call) {
        case 'update':
          return host.update(msg.key, msg.update, msg.noReplace);
        case 'get':
          return host.get(msg.key);
        case 'destroy':
          return host.destroy(msg.key);
        case 'stats':
          return host.stats();
        case 'close':
          await host.close();
          await node.destroy();
          await redis?.close();
          return null;
      }
    };
    run().then(
      (ok) => post({ id: msg.id, ok }),
      (error: unknown) => post({ id: msg.id, error: { message: error instanceof Error ? error.message : String(error), ...(isSpenceError(error) ? { code: error.code } : {}) } }),
    );
  });
  // Ready: the front's calls may come now.
  post({ id: 0, ok: null });
}

main().catch((error: unknown) => {
  parentPort?.postMessage({ id: 0, error: { message: error instanceof Error ? error.message : String(error) } } satisfies FromPlayerWorker);
});
