// A deadline and progress lines for a network call the action does not control (the cache
// library's): a stalled call must neither hold the step silently nor for ever.
import { formatDuration } from './paths.js';

class DeadlineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeadlineError';
  }
}

let abandoned = 0;

/** Calls given up on that may still hold the process open: the step ends the process itself then. */
export function abandonedCalls(): number {
  return abandoned;
}

export interface DeadlineOptions {
  deadlineMs: number;
  /** A progress line this often while the call runs (default 30 s). */
  progressEveryMs?: number;
  log: (message: string) => void;
}

/** `call()`, or a DeadlineError naming `what` once deadlineMs has passed; "still waiting" lines meanwhile. */
export async function withDeadline<T>(what: string, call: () => Promise<T>, options: DeadlineOptions): Promise<T> {
  const started = Date.now();
  const every = options.progressEveryMs ?? 30_000;
  let progress: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  const tick = (): void => {
    options.log(
      `Still waiting for ${what}: ${formatDuration(Date.now() - started)} so far (it is given up after ${formatDuration(options.deadlineMs)}).`
    );
    progress = setTimeout(tick, every);
  };
  progress = setTimeout(tick, every);
  const timedOut = new Promise<never>((_, reject) => {
    deadline = setTimeout(() => {
      abandoned++;
      reject(new DeadlineError(`${what} did not answer within ${formatDuration(options.deadlineMs)}`));
    }, options.deadlineMs);
  });
  try {
    return await Promise.race([call(), timedOut]);
  } finally {
    clearTimeout(progress);
    clearTimeout(deadline);
  }
}
