import {readFile} from 'node:fs/promises';

import {UsageError} from '../domain/errors.js';
import {parseSlaPolicyFile} from '../domain/sla/policy-file.js';
import type {SlaPolicySet} from '../domain/sla/policy.js';

/**
 * Reads an SLA policy file (YAML, which covers JSON too) and validates it. Every problem is
 * reported at once by SlaPolicyFileError, a usage error (exit 2), before anything changes.
 */
export async function loadSlaPolicyFile(path: string): Promise<SlaPolicySet> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : 'cannot be read';
    throw new UsageError(`The SLA policy file ${path} ${why}.`, {hint: 'Give the path of a YAML policy file.', cause: error});
  }
  return parseSlaPolicyText(text, path);
}

/** Parses policy-file text; `source` names it in messages. */
export async function parseSlaPolicyText(text: string, source: string): Promise<SlaPolicySet> {
  // Loaded here, not at the top: only policy import pays for the YAML parser.
  const {parseDocument} = await import('yaml');
  // The core schema keeps 2026-12-24 a string, as the file's author wrote it.
  const doc = parseDocument(text, {prettyErrors: true, uniqueKeys: true});
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const line = first.linePos?.[0];
    throw new UsageError(`The SLA policy file ${source} is not valid YAML${line ? ` (line ${line.line}, column ${line.col})` : ''}: ${first.message.split('\n')[0]}`, {
      hint: 'Fix the syntax and import it again; nothing was changed.',
    });
  }
  return parseSlaPolicyFile(doc.toJS(), source);
}
