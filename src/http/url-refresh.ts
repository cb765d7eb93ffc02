/**
 * The media's current URL, and fresh ones from the provider when it expires (a 403 or 410 from a
 * tokenised CDN URL). Reads that hit the same expiry share one call to the provider.
 *
 * @module
 */

import { raceAbort } from '../abort.js';

/** Produces a fresh URL for the same media (same format, same bytes). */
export type RefreshUrl = (options: { signal: AbortSignal }) => Promise<string>;

/** A media's URL over its lifetime. */
export class MediaUrl {
  #current: string;
  readonly #refreshUrl: RefreshUrl | undefined;
  /** A refresh in flight, shared by every read that hits the same expired URL. */
  #refreshing: { from: string; promise: Promise<string> } | null = null;
  readonly #onFresh: () => void;

  /** @param onFresh - called once per fresh URL put in use (for counters). */
  constructor(url: string, refreshUrl: RefreshUrl | undefined, onFresh: () => void) {
    this.#current = url;
    this.#refreshUrl = refreshUrl;
    this.#onFresh = onFresh;
  }

  /** The URL requests go to now. */
  get current(): string {
    return this.#current;
  }

  /** True when the media can get fresh URLs. */
  get refreshable(): boolean {
    return this.#refreshUrl !== undefined;
  }

  /**
   * Gets a fresh URL after `expired` answered 403/410, unless another read already has; reads
   * hitting the same expiry share one call. Resolves true when this call produced the fresh URL.
   * The provider's errors pass through (the caller decides which are final).
   */
  async refresh(expired: string, signal: AbortSignal): Promise<boolean> {
    const refreshUrl = this.#refreshUrl;
    if (refreshUrl === undefined || this.#current !== expired) return false;
    if (this.#refreshing?.from !== expired) {
      const promise = refreshUrl({ signal });
      const entry = { from: expired, promise };
      this.#refreshing = entry;
      promise
        .then(
          (fresh) => {
            if (this.#current === expired) {
              this.#current = fresh;
              this.#onFresh();
            }
          },
          () => {},
        )
        .finally(() => {
          if (this.#refreshing === entry) this.#refreshing = null;
        });
    }
    await raceAbort(this.#refreshing.promise, signal, 'download');
    return true;
  }
}
