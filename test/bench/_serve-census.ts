/**
 * The serve bench's count of the player thread's @discordjs/voice connections (every group the
 * links made, found through the module's `getGroups()`): how many are in each connection status
 * and networking state, how many finished their DAVE transition, the voice gateway close codes
 * and the errors they reported, and how long each took from its link's creation to its first
 * `ready`. What a bench needs to see why players do not connect.
 */
/** The networking state codes of @discordjs/voice (its `NetworkingStatusCode`). */
const NETWORKING = ['openingWs', 'identifying', 'udpHandshaking', 'selectingProtocol', 'ready', 'resuming', 'closed'];

/** The census a player thread reports. */
export interface VoiceCensus {
  links: number;
  /** Connections per status (signalling, connecting, ready, disconnected, destroyed), and per networking state while connecting. */
  status: Record<string, number>;
  networking: Record<string, number>;
  /** Connections whose DAVE group has its first transition done (`transitioned` seen). */
  daveTransitioned: number;
  /** Voice gateway close codes, each with how many times. */
  closes: Record<string, number>;
  /** Connection errors by message, each with how many times. */
  errors: Record<string, number>;
  /** Link creation to first `ready`, ms, one per connection that got there. */
  connectMs: number[];
}

interface Watched {
  createdAt: number;
  readyMs: number | null;
  transitioned: boolean;
}

interface Emitter {
  on(event: string, listener: (...args: never[]) => void): unknown;
}
interface CensusConnection extends Emitter {
  state: { status: string; networking?: Emitter & { state: { code: number } } };
}

/** Watches the connections of the links a factory makes: call {@link VoiceCensusTaker.created} with each link's guild as it is made. */
export class VoiceCensusTaker {
  readonly #created = new Map<string, number>();
  readonly #watched = new Map<CensusConnection, Watched>();
  readonly #closes: Record<string, number> = {};
  readonly #errors: Record<string, number> = {};
  /** The module the links load (the same ESM instance: its `getGroups()` holds their connections). */
  #groups: (() => Map<string, Map<string, CensusConnection>>) | null = null;

  #scanning: ReturnType<typeof setInterval> | null = null;

  /** Notes when the link of `guildId` was made, and looks for its connection every 20 ms until it is watched. */
  created(guildId: string): void {
    this.#created.set(guildId, performance.now());
    this.#scanning ??= setInterval(() => void this.#scan(), 20);
  }

  /** Watches the connections made since the last look. */
  async #scan(): Promise<void> {
    this.#groups ??= ((await import('@discordjs/voice')) as unknown as { getGroups(): Map<string, Map<string, CensusConnection>> }).getGroups;
    for (const group of this.#groups().values()) {
      for (const [guildId, connection] of group) if (!this.#watched.has(connection)) this.#watch(guildId, connection);
    }
    if (this.#scanning !== null && this.#watched.size >= this.#created.size) {
      clearInterval(this.#scanning);
      this.#scanning = null;
    }
  }

  /** Counts what every connection is in now. */
  async take(): Promise<VoiceCensus> {
    await this.#scan();
    const census: VoiceCensus = { links: this.#created.size, status: {}, networking: {}, daveTransitioned: 0, closes: { ...this.#closes }, errors: { ...this.#errors }, connectMs: [] };
    for (const [connection, watched] of this.#watched) {
      const status = connection.state.status;
      census.status[status] = (census.status[status] ?? 0) + 1;
      const code = connection.state.networking?.state.code;
      if (code !== undefined) {
        const name = NETWORKING[code] ?? String(code);
        census.networking[name] = (census.networking[name] ?? 0) + 1;
      }
      if (watched.transitioned) census.daveTransitioned++;
      if (watched.readyMs !== null) census.connectMs.push(watched.readyMs);
    }
    return census;
  }

  #watch(guildId: string, connection: CensusConnection): void {
    const watched: Watched = { createdAt: this.#created.get(guildId) ?? performance.now(), readyMs: null, transitioned: false };
    this.#watched.set(connection, watched);
    const seen = new WeakSet<object>();
    const networking = (n: (Emitter & { state: { code: number } }) | undefined): void => {
      if (n === undefined || seen.has(n)) return;
      seen.add(n);
      n.on('close', (code: number) => void (this.#closes[code] = (this.#closes[code] ?? 0) + 1));
      n.on('transitioned', () => void (watched.transitioned = true));
    };
    const ready = (status: string): void => {
      if (status === 'ready' && watched.readyMs === null) watched.readyMs = performance.now() - watched.createdAt;
    };
    networking(connection.state.networking);
    ready(connection.state.status);
    connection.on('stateChange', (_old: never, state: { status: string; networking?: Emitter & { state: { code: number } } }) => {
      networking(state.networking);
      ready(state.status);
    });
    connection.on('error', (error: Error) => {
      const message = error.message.slice(0, 120);
      this.#errors[message] = (this.#errors[message] ?? 0) + 1;
    });
  }
}
