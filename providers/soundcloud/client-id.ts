/**
 * The api-v2 `client_id`: the one given in the options, or the one soundcloud.com's own web app
 * uses, discovered from its page. Cached; dropped (and discovered again) when the API answers 401.
 *
 * Discovery reads the page's hydration data first (`window.__sc_hydration`, whose `apiClient`
 * entry carries the id: one request), and only when that is missing scans the page's scripts on
 * `*.sndcdn.com` for `client_id:"..."`, last script first (the id lives in one of the app bundles
 * loaded at the end).
 *
 * @module
 */

import { ErrorCodes, SpenceError, isSpenceError, raceAbort } from '../../src/provider-kit.js';
import { getText } from './http.js';
import type { Net } from './http.js';

/** The page whose hydration data and scripts carry the web app's client id. */
export const SOUNDCLOUD_PAGE = 'https://soundcloud.com/';

/** Client ids are 32 alphanumerics; a little slack in case SoundCloud changes the length. */
const CLIENT_ID = /^[A-Za-z0-9]{20,64}$/;
const HYDRATION = /window\.__sc_hydration\s*=\s*(\[[\s\S]*?\])\s*;?\s*<\/script>/;
const SCRIPT_SRC = /<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi;
const CLIENT_ID_IN_SCRIPT = /\bclient_id\s*[:=]\s*["']([A-Za-z0-9]{20,64})["']/;
/** Scripts fetched at most while scanning: the page loads about a dozen. */
const MAX_SCRIPTS = 16;

/** The `apiClient` id in the page's hydration data, or null. */
export function clientIdFromHydration(html: string): string | null {
  const json = HYDRATION.exec(html)?.[1];
  if (json === undefined) return null;
  let entries: unknown;
  try {
    entries = JSON.parse(json);
  } catch {
    return null;
  }
  if (!Array.isArray(entries)) return null;
  for (const entry of entries as { hydratable?: unknown; data?: { id?: unknown } }[]) {
    const id = entry?.hydratable === 'apiClient' ? entry.data?.id : undefined;
    if (typeof id === 'string' && CLIENT_ID.test(id)) return id;
  }
  return null;
}

/** The page's scripts on `*.sndcdn.com`, last first. */
export function sndcdnScripts(html: string, base: string): URL[] {
  const scripts: URL[] = [];
  for (const match of html.matchAll(SCRIPT_SRC)) {
    const src = match[1]!;
    if (!URL.canParse(src, base)) continue;
    const url = new URL(src, base);
    const host = url.hostname.toLowerCase();
    if (url.protocol === 'https:' && (host === 'sndcdn.com' || host.endsWith('.sndcdn.com'))) scripts.push(url);
  }
  return scripts.reverse();
}

/** The `client_id:"..."` in a script, or null. */
export function clientIdFromScript(source: string): string | null {
  return CLIENT_ID_IN_SCRIPT.exec(source)?.[1] ?? null;
}

/** Finds the web app's client id on soundcloud.com. */
export async function discoverClientId(net: Net, page = SOUNDCLOUD_PAGE): Promise<string> {
  const html = await getText(page, net, 'its web page (to find a client id)');
  const hydrated = clientIdFromHydration(html);
  if (hydrated !== null) return hydrated;
  const scripts = sndcdnScripts(html, page).slice(0, MAX_SCRIPTS);
  for (const script of scripts) {
    let source: string;
    try {
      source = await getText(script, net, 'a script of its web page (to find a client id)');
    } catch (error) {
      // One missing bundle should not end the scan; an abort or a rate limit should.
      if (isSpenceError(error, 'NOT_FOUND') || isSpenceError(error, 'UPSTREAM')) continue;
      throw error;
    }
    const id = clientIdFromScript(source);
    if (id !== null) return id;
  }
  throw new SpenceError(
    ErrorCodes.UPSTREAM,
    `Could not find a SoundCloud client id: the page has no apiClient hydration entry and none of its ${scripts.length} sndcdn.com scripts names one. Pass \`clientId\` in the options.`,
    { source: 'soundcloud' },
  );
}

/** The client id in use: configured, or discovered once and shared by concurrent requests. */
export class ClientIds {
  private current: string | undefined;
  private discovering: Promise<string> | null = null;

  constructor(configured: string | undefined, private readonly page = SOUNDCLOUD_PAGE) {
    this.current = configured !== undefined && configured !== '' ? configured : undefined;
  }

  /** The id to send; discovers one when there is none. */
  async get(net: Net): Promise<string> {
    if (this.current !== undefined) return this.current;
    if (this.discovering === null) {
      // Not tied to one caller's signal: a caller that gives up must not fail the others sharing it.
      const discovering = discoverClientId({ dispatcher: net.dispatcher, http: net.http, signal: AbortSignal.timeout(30_000) }, this.page).then(
        (id) => {
          this.current = id;
          return id;
        },
      );
      discovering.finally(() => {
        if (this.discovering === discovering) this.discovering = null;
      }).catch(() => {});
      this.discovering = discovering;
    }
    return raceAbort(this.discovering, net.signal, 'SoundCloud client id discovery');
  }

  /** Drops `id` after the API refused it (401): the next {@link get} discovers a fresh one. */
  invalidate(id: string): void {
    if (this.current === id) this.current = undefined;
  }
}
