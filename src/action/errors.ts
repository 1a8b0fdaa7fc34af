/**
 * An error the user can fix by changing one input. The message names the input, says what is
 * wrong and how to fix it; it never contains a secret value.
 */
export class InputError extends Error {
  constructor(
    readonly input: string,
    problem: string,
    fix: string
  ) {
    super(`Input '${input}': ${problem} ${fix}`);
    this.name = 'InputError';
  }
}

/** A failure of the credential itself (nothing usable to restore, nothing safe to save). */
export class CredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A message to quote inside a sentence (`…: ${clause(reason)}.`): its own closing period dropped. */
export function clause(text: string): string {
  return text.replace(/[.\s]+$/, '');
}
