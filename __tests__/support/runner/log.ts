// How the runner reads what a step wrote, from actions/runner's source: workflow commands on stdout
// and stderr (ActionCommandManager.cs, ActionCommand.cs: `::add-mask::`, annotations and their
// `title=` property, `::stop-commands::`), masking as its SecretMasker does it (each line masked with
// the values registered before it), and the file commands GITHUB_ENV / GITHUB_OUTPUT / GITHUB_STATE
// (FileCommandManager.cs, `name=value` and `name<<delimiter` heredocs).

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  /** The `title=` property, unescaped as the runner does (ActionCommand.cs). */
  title?: string;
}

/** Reads workflow commands off stdout as the runner does; the add-mask commands never reach the log. */
export function readWorkflowCommands(stdout: string): { log: string; masks: string[]; annotations: Annotation[] } {
  const masks: string[] = [];
  const annotations: Annotation[] = [];
  const kept: string[] = [];
  for (const line of stdout.split('\n')) {
    const command = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (command?.[1] === 'add-mask') {
      masks.push(unescapeData(command[3]));
      continue;
    }
    if (command && (command[1] === 'error' || command[1] === 'warning' || command[1] === 'notice')) {
      annotations.push(annotation(command[1], command[2], command[3]));
    }
    kept.push(line);
  }
  return { log: kept.join('\n'), masks, annotations };
}

/** An annotation command (`::warning title=…::message`) as the runner reads it: the message and the `title` property. */
function annotation(level: Annotation['level'], properties: string | undefined, data: string): Annotation {
  const title = /(?:^|,)title=([^,]*)/.exec(properties ?? '')?.[1];
  return { level, message: unescapeData(data), ...(title === undefined ? {} : { title: unescapeProperty(title) }) };
}

/** A property value, unescaped in the runner's order (ActionCommand.cs UnescapeProperty: `%25` last). */
function unescapeProperty(value: string): string {
  return value
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

function unescapeData(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

/**
 * A step's lines as the runner shows them (ActionCommandManager.TryProcessCommand, SecretMasker):
 * `::add-mask::v` registers v (as one value, for this and every later step) and is not shown;
 * every other line is masked with the values registered so far; `::stop-commands::token` stops
 * command processing (add-mask included) until a `::token::` line. `masks` is the job's set, added to.
 */
export function runnerLog(lines: string[], masks: Set<string>): { masked: string; annotations: Annotation[] } {
  const shown: string[] = [];
  const annotations: Annotation[] = [];
  let stopToken: string | undefined;
  for (const line of lines) {
    const command = /^::([A-Za-z0-9_-]+)(?: ([^:]*))?::(.*)$/.exec(line)?.slice(1);
    if (stopToken !== undefined) {
      if (command?.[0] === stopToken) stopToken = undefined;
      shown.push(applyMasks(line, [...masks]));
      continue;
    }
    if (command?.[0] === 'stop-commands' && command[2]) stopToken = command[2];
    if (command?.[0] === 'add-mask') {
      const value = unescapeData(command[2]);
      if (value.trim()) masks.add(value);
      continue;
    }
    if (command && (command[0] === 'error' || command[0] === 'warning' || command[0] === 'notice'))
      annotations.push(annotation(command[0], command[1], command[2]));
    shown.push(applyMasks(line, [...masks]));
  }
  return { masked: shown.join('\n'), annotations };
}

function applyMasks(text: string, masks: string[]): string {
  let out = text;
  for (const mask of [...masks].sort((a, b) => b.length - a.length)) {
    if (mask) out = out.split(mask).join('***');
  }
  return out;
}

/** The runner's parser for GITHUB_ENV / GITHUB_OUTPUT / GITHUB_STATE (FileCommandManager.cs). */
export function parseKeyValueFile(content: string, what: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = content.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      result[line.slice(0, eq)] = line.slice(eq + 1);
      continue;
    }
    if (heredoc > 0) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      const value: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== delimiter) value.push(lines[i++]);
      if (i >= lines.length) throw new Error(`Invalid format in ${what}: matching delimiter '${delimiter}' not found`);
      result[name] = value.join('\n');
      continue;
    }
    throw new Error(`Invalid format in ${what}: '${line}'`);
  }
  return result;
}
