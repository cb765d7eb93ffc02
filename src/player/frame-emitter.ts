/**
 * The player's event emitter, with its `frame` listeners kept ready for the scheduler's tick:
 * at thousands of players, a frame goes to its listeners directly rather than through `emit()`,
 * which looks the name up in a dictionary-mode object and copies its arguments, per frame, per
 * player. The listener methods are overridden here (as Node's `Readable` overrides `on` to know
 * its `data` listeners): each drops the kept listeners, which are looked up again at the next frame.
 *
 * @module
 */

import { EventEmitter } from 'node:events';
import type { FrameEvent, PlayerEvents, PlayerOutput } from './types.js';

type Listener<K extends keyof PlayerEvents> = (...args: PlayerEvents[K]) => void;
type AnyListener = (...args: any[]) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
type FrameListener = (frame: FrameEvent) => void;

/**
 * The `frame` listeners as the {@link PlayerOutput} every push-mode player has: `prepare` calls
 * them with the frame. @internal
 */
export class FrameListeners implements PlayerOutput {
  readonly #emitter: EventEmitter<PlayerEvents>;
  /** The listeners as `rawListeners('frame')` gave them; null after any listener change. */
  #all: FrameListener[] | null = null;
  /** The one listener when there is exactly one (the usual case), else null. */
  #sole: FrameListener | null = null;

  constructor(emitter: EventEmitter<PlayerEvents>) {
    this.#emitter = emitter;
  }

  /** A listener was added or removed. */
  changed(): void {
    this.#all = null;
  }

  prepare(frame: FrameEvent): void {
    let all = this.#all;
    if (all === null) {
      all = this.#emitter.rawListeners('frame') as FrameListener[];
      this.#all = all;
      this.#sole = all.length === 1 ? all[0]! : null;
    }
    const emitter = this.#emitter;
    const sole = this.#sole;
    if (sole !== null) {
      sole.call(emitter, frame);
    } else {
      for (let k = 0; k < all.length; k++) all[k]!.call(emitter, frame);
    }
  }

  dispatch(): void {}
}

/**
 * An `EventEmitter` of {@link PlayerEvents} whose `frame` listeners are kept in
 * {@link frameListeners}. Every method that adds or removes listeners is overridden to say so.
 */
export class FrameEmitter extends EventEmitter<PlayerEvents> {
  /** The `frame` listeners, for the player's delivery. @internal */
  protected readonly frameListeners = new FrameListeners(this);

  override on<K extends keyof PlayerEvents>(event: K, listener: Listener<K>): this;
  override on(event: string | symbol, listener: AnyListener): this;
  override on(event: string | symbol, listener: AnyListener): this {
    this.frameListeners.changed();
    return super.on(event as keyof PlayerEvents, listener);
  }

  override addListener<K extends keyof PlayerEvents>(event: K, listener: Listener<K>): this;
  override addListener(event: string | symbol, listener: AnyListener): this;
  override addListener(event: string | symbol, listener: AnyListener): this {
    this.frameListeners.changed();
    return super.addListener(event as keyof PlayerEvents, listener);
  }

  override prependListener<K extends keyof PlayerEvents>(event: K, listener: Listener<K>): this;
  override prependListener(event: string | symbol, listener: AnyListener): this;
  override prependListener(event: string | symbol, listener: AnyListener): this {
    this.frameListeners.changed();
    return super.prependListener(event as keyof PlayerEvents, listener);
  }

  override once<K extends keyof PlayerEvents>(event: K, listener: Listener<K>): this;
  override once(event: string | symbol, listener: AnyListener): this;
  override once(event: string | symbol, listener: AnyListener): this {
    this.frameListeners.changed();
    return super.once(event as keyof PlayerEvents, listener);
  }

  override prependOnceListener<K extends keyof PlayerEvents>(event: K, listener: Listener<K>): this;
  override prependOnceListener(event: string | symbol, listener: AnyListener): this;
  override prependOnceListener(event: string | symbol, listener: AnyListener): this {
    this.frameListeners.changed();
    return super.prependOnceListener(event as keyof PlayerEvents, listener);
  }

  override off<K extends keyof PlayerEvents>(event: K, listener: Listener<K>): this;
  override off(event: string | symbol, listener: AnyListener): this;
  override off(event: string | symbol, listener: AnyListener): this {
    this.frameListeners.changed();
    return super.off(event as keyof PlayerEvents, listener);
  }

  override removeListener<K extends keyof PlayerEvents>(event: K, listener: Listener<K>): this;
  override removeListener(event: string | symbol, listener: AnyListener): this;
  override removeListener(event: string | symbol, listener: AnyListener): this {
    this.frameListeners.changed();
    return super.removeListener(event as keyof PlayerEvents, listener);
  }

  override removeAllListeners(event?: keyof PlayerEvents | (string & {}) | symbol): this {
    this.frameListeners.changed();
    // Without an argument, not with `undefined`: Node tells them apart by the argument count.
    return event === undefined ? super.removeAllListeners() : super.removeAllListeners(event as keyof PlayerEvents);
  }
}
