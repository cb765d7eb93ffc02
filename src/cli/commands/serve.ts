/**
 * `spence serve`: runs a Lavalink v4 node (REST API and WebSocket) over spence, configured from
 * Lavalink's `application.yml` and the environment.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ErrorCodes, SpenceError } from '../../errors.js';
import { LavalinkServer, loadServerConfig, resolveServerConfig } from '../../server/index.js';
import type { ServerConfig } from '../../server/index.js';

const HELP = `
Configuration: Lavalink's application.yml (the parts that apply), from --config or ./application.yml,
then the environment as Spring binds it (it wins over the file):
  server.port                                SERVER_PORT                            default 2333
  server.address                             SERVER_ADDRESS                         default 0.0.0.0
  lavalink.server.password                   LAVALINK_SERVER_PASSWORD               required
  lavalink.server.sources.{youtube,soundcloud,http,local}
                                             LAVALINK_SERVER_SOURCES_HTTP ...       http and local default off
  plugins.lavasrc.sources.{spotify,applemusic,deezer}, plugins.lavasrc.spotify.clientId/clientSecret
  lavalink.server.filters.<name>             LAVALINK_SERVER_FILTERS_TIMESCALE ...  all on
  lavalink.server.playerUpdateInterval       LAVALINK_SERVER_PLAYERUPDATEINTERVAL   default 5 (seconds)
  spence.http.allowPrivateAddresses          SPENCE_HTTP_ALLOWPRIVATEADDRESSES      default false
  spence.local.roots                         SPENCE_LOCAL_ROOTS (comma-separated)   default /
  spence.workers                             SPENCE_WORKERS                         default 0 (main thread)
  spence.redis.url                           SPENCE_REDIS_URL                       share mirror and load cache
See docs/server.md for the whole list and for moving from a Lavalink node.`;

/** Registers `spence serve` on `program`. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run a Lavalink v4 node (REST API and WebSocket) that Lavalink client libraries use unchanged')
    .option('-c, --config <file>', "Lavalink's application.yml (default: ./application.yml when it exists)")
    .option('-p, --port <port>', 'listen on this port (over server.port)')
    .option('-a, --address <address>', 'listen on this address (over server.address)')
    .addHelpText('after', HELP)
    .action(async (options: { config?: string; port?: string; address?: string }) => {
      const file = options.config ?? (existsSync('application.yml') ? 'application.yml' : undefined);
      const config: ServerConfig = file !== undefined ? await loadServerConfig(file) : resolveServerConfig({});
      if (options.port !== undefined) {
        const port = Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `--port must be 0 to 65535, got ${options.port}`);
        config.port = port;
      }
      if (options.address !== undefined) config.address = options.address;
      const log = (line: string): void => void process.stderr.write(`${line}\n`);
      const server = new LavalinkServer({ config, log });
      await server.listen();
      if (file !== undefined) log(`spence serve: configuration from ${file}`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log(`spence serve: ${signal}, closing`);
          void server.close().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
