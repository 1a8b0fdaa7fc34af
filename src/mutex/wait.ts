// The wait of a mutex (the lease, the lock): look, and while another job holds it, poll with
// back-off and jitter, say who holds it now and then, and give up at the deadline. Each mutex
// brings its own look (its store operations and staleness judgement) and its own messages.

/** What one look at the mutex found. */
export type Look<T> =
  /** This job holds it now. */
  | { acquired: T }
  /** It changed hands under this look (freed, taken, removed as stale): look again at once, a few times. */
  | 'again'
  /** Another job holds it (or a fault to ride out): wait before the next look. */
  | 'wait';

/** The wait as it stands, on the caller's clock. */
export interface WaitState {
  started: number;
  deadline: number;
  /** Whether this waiter has slept at least once. */
  waited: boolean;
}

/** A progress line, and whether it is logged at every wait rather than at most every `logEveryMs`. */
export interface Progress {
  line: string;
  everyWait?: boolean;
}

export interface WaitOptions<T> {
  timeoutMs: number;
  /** First wait between looks, growing 1.5x per wait up to maxPollMs. */
  pollMs: number;
  maxPollMs: number;
  /** Each wait is pollMs × (from + random × spread). */
  jitter: { from: number; spread: number };
  logEveryMs: number;
  log: (message: string) => void;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  look(wait: WaitState): Promise<Look<T>>;
  /** The error to throw once the deadline has passed. */
  timedOut(waitedMs: number): Error;
  /** What to say while waiting, if anything. */
  progress(waitedMs: number): Progress | undefined;
  /** How soon something is due (e.g. a holder's expiry): the next look is then, if sooner than the poll. */
  dueIn?(at: number): number;
}

/** Looks until this job holds the mutex; throws what `look` throws, or `timedOut` at the deadline. */
export async function waitFor<T>(options: WaitOptions<T>): Promise<T> {
  const { now, log } = options;
  const started = now();
  const state: WaitState = { started, deadline: started + options.timeoutMs, waited: false };
  let pollMs = Math.min(options.pollMs, options.maxPollMs);
  let quickRetries = 0;
  let lastLog = -Infinity;
  for (;;) {
    const look = await options.look(state);
    if (look !== 'again' && look !== 'wait') return look.acquired;
    if (look === 'again' && ++quickRetries <= 3) continue;

    const at = now();
    const waitedMs = at - started;
    if (at >= state.deadline) throw options.timedOut(waitedMs);
    const progress = options.progress(waitedMs);
    if (progress?.everyWait) log(progress.line);
    else if (progress && at - lastLog >= options.logEveryMs) {
      lastLog = at;
      log(progress.line);
    }
    quickRetries = 0;
    const jittered = pollMs * (options.jitter.from + Math.random() * options.jitter.spread);
    const dueIn = options.dueIn?.(at) ?? Infinity;
    state.waited = true;
    await options.sleep(Math.max(1, Math.min(jittered, Math.max(1, dueIn), state.deadline - at)));
    pollMs = Math.min(pollMs * 1.5, options.maxPollMs);
  }
}
