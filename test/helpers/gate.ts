/**
 * A gate a test holds shut: code under test (a mocked server's answer, a fake source) waits at it
 * until the test opens it, so the test acts while a request is in flight with no time passing.
 */
export interface Gate {
  /** How many have arrived at the gate so far. */
  readonly arrived: number;
  /** Arrives, and waits until the gate is open (at once when it already is). */
  pass(): Promise<void>;
  /** Opens the gate: everyone waiting goes through, and later arrivals do not wait. */
  open(): void;
}

export function gate(): Gate {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    get arrived() {
      return arrived;
    },
    pass() {
      arrived++;
      return opened;
    },
    open: () => open(),
  };
}
