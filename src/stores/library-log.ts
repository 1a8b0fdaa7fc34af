// @actions/cache reports most failures only as a log line and an `undefined`/-1 result, which a
// miss also returns. For a credential the difference matters (a failed lookup must not let an old
// seed win), so while a library call runs we watch the workflow commands it prints.
const FAILURE = /^::(?:warning|error)[^:]*::(.*)$/;
/** The library logs the cause of a refused cache reservation (a 403, a 429) only at debug level. */
const RESERVE_CAUSE = /^::debug::Failed to reserve cache: (?:Error: )?(.*)$/;
/** `title=Codex auth: Actions cache`, escaped as a workflow-command property (`:` is %3A). */
const LIBRARY_TITLE = '::$1 title=Codex auth%3A Actions cache::';

export interface WatchedCall<T> {
  result: T;
  failures: string[];
  causes: string[];
}

/**
 * Runs `call`, collecting the failures the library prints. `quiet`: its warnings are expected
 * answers (a claim another job holds) and become plain log lines, kept out of the annotations.
 */
export async function watchFailures<T>(call: () => Promise<T>, quiet = false): Promise<WatchedCall<T>> {
  const failures: string[] = [];
  const causes: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    for (const line of String(chunk).split(/\r?\n/)) {
      const match = FAILURE.exec(line);
      if (match) failures.push(unescape(match[1]));
      const cause = RESERVE_CAUSE.exec(line);
      if (cause) causes.push(unescape(cause[1]));
    }
    if (quiet) return write(String(chunk).replace(/^::warning::/gm, ''), ...rest);
    // The library's own annotations get the title every annotation of this action has.
    return write(typeof chunk === 'string' ? chunk.replace(/^::(warning|error)::/gm, LIBRARY_TITLE) : chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    return { result: await call(), failures, causes };
  } finally {
    process.stdout.write = write;
  }
}

function unescape(text: string): string {
  return text.replace(/%0A/g, ' ').replace(/%0D/g, '').replace(/%25/g, '%');
}
