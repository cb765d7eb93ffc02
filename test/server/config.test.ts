/**
 * The server's configuration: Lavalink's application.yml layout (an existing deployment's file
 * loads as it is), Spring's relaxed binding for keys and environment variables, the defaults
 * (http and local sources off), and clear errors naming the property.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpenceError } from '../../src/errors.js';
import { defaultServerConfig, environmentName, loadServerConfig, resolveServerConfig } from '../../src/server/index.js';
import { voiceLinkOptionsFromConfig } from '../../src/server/node-options.js';

/** A Lavalink 4 application.yml as deployments write it (the example file's layout). */
const LAVALINK_YML = `
server: # REST and WS server
  port: 2444
  address: 127.0.0.1
  http2:
    enabled: false
plugins:
  youtube:
    enabled: true
    allowSearch: true
  lavasrc:
    providers:
      - "ytsearch:\\"%ISRC%\\""
    sources:
      spotify: true
      applemusic: false
      deezer: false
    spotify:
      clientId: "your client id"
      clientSecret: "your client secret"
      countryCode: "US"
lavalink:
  plugins:
    - dependency: "dev.lavalink.youtube:youtube-plugin:1.13.3"
      snapshot: false
  server:
    password: "youshallnotpass"
    sources:
      # The new way to use youtube is through the plugin.
      youtube: false
      bandcamp: true
      soundcloud: true
      twitch: true
      vimeo: true
      nico: true
      http: true # warning: keeping HTTP enabled without a proxy configured could expose your server's IP address.
      local: false
    filters: # All filters are enabled by default
      volume: true
      equalizer: true
      karaoke: true
      timescale: true
      tremolo: true
      vibrato: true
      distortion: true
      rotation: true
      channelMix: true
      lowPass: false
    nonAllocatingFrameBuffer: false
    bufferDurationMs: 400
    frameBufferDurationMs: 5000
    opusEncodingQuality: 10
    resamplingQuality: LOW
    trackStuckThresholdMs: 10000
    useSeekGhosting: true
    youtubePlaylistLoadLimit: 6
    playerUpdateInterval: 5
    youtubeSearchEnabled: true
    soundcloudSearchEnabled: true
    gc-warnings: true
metrics:
  prometheus:
    enabled: false
    endpoint: /metrics
logging:
  level:
    root: INFO
    lavalink: INFO
`;

function expectInvalid(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SpenceError);
    expect((error as SpenceError).code).toBe('INVALID_ARGUMENT');
    expect((error as SpenceError).message).toMatch(message);
    return;
  }
  expect.fail('expected INVALID_ARGUMENT');
}

describe('server configuration', () => {
  it('reads a Lavalink 4 application.yml as it is', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'spence-config-'));
    try {
      const file = path.join(dir, 'application.yml');
      await writeFile(file, LAVALINK_YML);
      const config = await loadServerConfig(file, {});
      expect(config).toMatchObject({
        port: 2444,
        address: '127.0.0.1',
        password: 'youshallnotpass',
        // youtube: false with the youtube plugin on is YouTube on.
        sources: { youtube: true, soundcloud: true, http: true, local: false, spotify: true, applemusic: false, deezer: false },
        playerUpdateInterval: 5,
        trackStuckThresholdMs: 10_000,
        frameBufferDurationMs: 5000,
        opusEncodingQuality: 10,
        spotify: { clientId: 'your client id', clientSecret: 'your client secret', countryCode: 'US' },
      });
      expect(config.filters.lowPass).toBe(false);
      expect(config.filters.timescale).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('defaults: port 2333 on 0.0.0.0, http and local off, every filter on, updates every 5 s, in-process state', () => {
    const config = resolveServerConfig({ lavalink: { server: { password: 'x' } } }, {});
    expect(config).toEqual({ ...defaultServerConfig(), password: 'x' });
    expect(config).toMatchObject({ port: 2333, address: '0.0.0.0', playerUpdateInterval: 5, workers: 0 });
    expect(config.sources.http).toBe(false);
    expect(config.sources.local).toBe(false);
    expect(config.redisUrl).toBeUndefined();
    expect(Object.values(config.filters).every(Boolean)).toBe(true);
  });

  it('binds environment variables as Spring does, over the file', () => {
    const env = {
      SERVER_PORT: '9000',
      LAVALINK_SERVER_PASSWORD: 'from-env',
      LAVALINK_SERVER_SOURCES_HTTP: 'false',
      LAVALINK_SERVER_PLAYERUPDATEINTERVAL: '2',
      LAVALINK_SERVER_FILTERS_KARAOKE: 'false',
      SPENCE_LOCAL_ROOTS: '/srv/music, /data',
      SPENCE_REDIS_URL: 'redis://127.0.0.1:6379',
    };
    const config = resolveServerConfig({ server: { port: 1 }, lavalink: { server: { password: 'file', sources: { http: true } } } }, env);
    expect(config).toMatchObject({ port: 9000, password: 'from-env', playerUpdateInterval: 2, localRoots: ['/srv/music', '/data'], redisUrl: 'redis://127.0.0.1:6379' });
    expect(config.sources.http).toBe(false);
    expect(config.filters.karaoke).toBe(false);
  });

  it('matches keys in Spring\'s relaxed forms: kebab-case, snake_case, dotted', () => {
    const config = resolveServerConfig({
      'lavalink.server.password': 'dotted',
      lavalink: { server: { 'player-update-interval': 3, sources: { Local: true }, 'youtube_search_enabled': false } },
    }, {});
    expect(config).toMatchObject({ password: 'dotted', playerUpdateInterval: 3, youtubeSearch: false });
    expect(config.sources.local).toBe(true);
  });

  it('spence.voice.* set the voice links\' join policy, from the file or the environment; unset, the links keep theirs', () => {
    const fromFile = resolveServerConfig({ lavalink: { server: { password: 'x' } }, spence: { voice: { concurrentJoins: 8, stepTimeoutMs: 20000, retries: 5 } } }, {});
    expect(voiceLinkOptionsFromConfig(fromFile)).toEqual({ concurrentJoins: 8, stepTimeoutMs: 20000, retries: 5 });
    const fromEnv = resolveServerConfig({ lavalink: { server: { password: 'x' } } }, { SPENCE_VOICE_CONCURRENTJOINS: '4', SPENCE_VOICE_RETRIES: '0' });
    expect(voiceLinkOptionsFromConfig(fromEnv)).toEqual({ concurrentJoins: 4, retries: 0 });
    expect(voiceLinkOptionsFromConfig(resolveServerConfig({ lavalink: { server: { password: 'x' } } }, {}))).toEqual({});
    expectInvalid(() => resolveServerConfig({ lavalink: { server: { password: 'x' } }, spence: { voice: { concurrentJoins: 0 } } }, {}), /spence\.voice\.concurrentJoins/);
    expectInvalid(() => resolveServerConfig({ lavalink: { server: { password: 'x' } }, spence: { voice: { stepTimeoutMs: 10 } } }, {}), /spence\.voice\.stepTimeoutMs/);
  });

  it('names the environment variable of a property', () => {
    expect(environmentName('lavalink.server.playerUpdateInterval')).toBe('LAVALINK_SERVER_PLAYERUPDATEINTERVAL');
    expect(environmentName('server.port')).toBe('SERVER_PORT');
    expect(environmentName('lavalink.server.sources.http')).toBe('LAVALINK_SERVER_SOURCES_HTTP');
  });

  it('refuses a missing password and values of the wrong type or range, naming the property', () => {
    expectInvalid(() => resolveServerConfig({}, {}), /lavalink\.server\.password/);
    expectInvalid(() => resolveServerConfig({ lavalink: { server: { password: 'x' } }, server: { port: 'abc' } }, {}), /server\.port/);
    expectInvalid(() => resolveServerConfig({ lavalink: { server: { password: 'x' } } }, { SERVER_PORT: '70000' }), /server\.port.*SERVER_PORT/);
    expectInvalid(() => resolveServerConfig({ lavalink: { server: { password: 'x', sources: { http: 'maybe' } } } }, {}), /lavalink\.server\.sources\.http/);
    expectInvalid(() => resolveServerConfig({ lavalink: { server: { password: 'x', playerUpdateInterval: 0 } } }, {}), /playerUpdateInterval/);
  });

  it('reports an unreadable file and invalid YAML clearly', async () => {
    await expect(loadServerConfig('/nonexistent/application.yml', {})).rejects.toThrow(/Cannot read/);
    const dir = await mkdtemp(path.join(tmpdir(), 'spence-config-'));
    try {
      const file = path.join(dir, 'bad.yml');
      await writeFile(file, 'server:\n  port: [1\n');
      await expect(loadServerConfig(file, {})).rejects.toThrow(/not valid YAML/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
