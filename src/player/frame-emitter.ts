/**
 * The player's event emitter, with its `frame` listeners kept ready for the scheduler's tick:
 * at thousands of players, a frame goes to its listeners directly rather than through `emit()`,
 * which looks the name up in a dictionary-mode object and copies its arguments, per frame, per
 * player. The listener methods are overridden here (as Node's `Readable` overrides `on` to know
 * its `data` listeners): each tells {@link FrameEmitter.framesChanged}, and the listeners are looked
 * up again at the next frame.
 *
 * @module
 */

import { EventEmitter } from 'node:events';
import type { PlayerEvents } from './types.js';

type Listener<K extends keyof PlayerEvents> = (...args: PlayerEvents[K]) => void;
type AnyListener = (...args: any[]) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

/** An `EventEmitter` of {@link PlayerEvents} that says when its listeners change. */
export abstract class FrameEmitter extends EventEmitter<PlayerEvents> {
  /** A listener was added or removed (any event: the `frame` ones are looked up again). @internal */
  protected abstract framesChanged(): void;

  /** Adds a listener for a player event (typed by {@link PlayerEvents}). */
  override on<K extends keyof PlayerEvents>(event: K, listener: Listener<K>): this;
  /** Adds a listener for a player event (typed by {@link PlayerEvents}) (any event name, untyped). */
  override on(event: string | symbol, listener: AnyListener): this;
  override on(event: string | symbol, listener: AnyListener): this {
    this.framesChanged();
    return super.on(event as keyof PlayerEvents, listener);
  }

  /** Adds a listener for a player event (as `on`). */
  override addListener<K extends keyof PlayerEvents>(event: K, listener: Listener<K>): this;
  /** Adds a listener for a player event (as `on`) (any event name, untyped). */
  override addListener(event: string | symbol, listener: AnyListener): this;
  override addListener(event: string | symbol, listener: AnyListener): this {
    this.framesChanged();
    return super.addListener(event as keyof PlayerEvents, listener);
  }

  /** Adds a listener for a player event, called before the others. */
  override prependListener<K extends keyof PlayerEvents>(event: K, listener: Listener<K>): this;
  /** Adds a listener for a player event, called before the others (any event name, untyped). */
  override prependListener(event: string | symbol, listener: AnyListener): this;
  override prependListener(event: string | symbol, listener: AnyListener): this {
    this.framesChanged();
    return super.prependListener(event as keyof PlayerEvents, listener);
  }

  /** Adds a listener for a player event, removed after its first call. */
  override once<K extends keyof PlayerEvents>(event: K, listener: Listener<K>): this;
  /** Adds a listener for a player event, removed after its first call (any event name, untyped). */
  override once(event: string | symbol, listener: AnyListener): this;
  override once(event: string | symbol, listener: AnyListener): this {
    this.framesChanged();
    return super.once(event as keyof PlayerEvents, listener);
  }

  /** Adds a one-time listener for a player event, called before the others. */
  override prependOnceListener<K extends keyof PlayerEvents>(event: K, listener: Listener<K>): this;
  /** Adds a one-time listener for a player event, called before the others (any event name, untyped). */
  override prependOnceListener(event: string | symbol, listener: AnyListener): this;
  override prependOnceListener(event: string | symbol, listener: AnyListener): this {
    this.framesChanged();
    return super.prependOnceListener(event as keyof PlayerEvents, listener);
  }

  /** Removes a listener for a player event. */
  override off<K extends keyof PlayerEvents>(event: K, listener: Listener<K>): this;
  /** Removes a listener for a player event (any event name, untyped). */
  override off(event: string | symbol, listener: AnyListener): this;
  override off(event: string | symbol, listener: AnyListener): this {
    this.framesChanged();
    return super.off(event as keyof PlayerEvents, listener);
  }

  /** Removes a listener for a player event (as `off`). */
  override removeListener<K extends keyof PlayerEvents>(event: K, listener: Listener<K>): this;
  /** Removes a listener for a player event (as `off`) (any event name, untyped). */
  override removeListener(event: string | symbol, listener: AnyListener): this;
  override removeListener(event: string | symbol, listener: AnyListener): this {
    this.framesChanged();
    return super.removeListener(event as keyof PlayerEvents, listener);
  }

  override removeAllListeners(event?: keyof PlayerEvents | (string & {}) | symbol): this {
    this.framesChanged();
    // Without an argument, not with `undefined`: Node tells them apart by the argument count.
    return event === undefined ? super.removeAllListeners() : super.removeAllListeners(event as keyof PlayerEvents);
  }
}
