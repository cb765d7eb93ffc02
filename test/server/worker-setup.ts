/**
 * What each player worker of a test server loads (LavalinkServerOptions.workerSetup): the
 * loopback provider and the http source on the test's media server, and no voice connection.
 */
import { httpProvider } from '../../providers/http/index.js';
import type { NodeOptions } from '../../src/node/node.js';
import { detachedVoiceLinks } from '../../src/server/index.js';
import type { VoiceLinkFactory } from '../../src/server/index.js';
import { loopbackProvider } from './harness.js';

export function nodeOptions(_config: unknown, data: { media: string }): NodeOptions {
  return {
    providers: [loopbackProvider({ url: (path: string) => `${data.media}${path}` }), httpProvider()],
    http: { allowPrivateAddresses: true },
  };
}

/** No voice connection in the workers' tests. */
export function voiceLinks(): VoiceLinkFactory {
  return detachedVoiceLinks;
}
