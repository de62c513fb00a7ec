import type {Hook} from '@oclif/core';

import {ExitCode} from '../../domain/errors.js';
import {terminalSafeJson} from '../../domain/neutralise.js';
import {shown, writeText} from '../shown.js';
import {closest} from '../suggest.js';

/**
 * `support ticket craete`: one sentence with the nearest commands, a hint, exit 2 (a usage
 * error, as for a bad flag). oclif runs this hook only when no command matched.
 */
const hook: Hook.CommandNotFound = async function (opts) {
  const {config, id} = opts;
  const argv = opts.argv ?? [];
  const spaced = (s: string) => s.replaceAll(':', ' ');
  const visible = config.commands.filter((c) => !c.hidden);
  const ids = [...visible.map((c) => c.id), ...visible.flatMap((c) => c.aliases), ...config.topics.filter((t) => !t.hidden).map((t) => t.name)];
  const words = id.split(':');
  // oclif joins every word before the first flag into the id. Under a real topic, the typo is
  // the next word (`ticket craete`); otherwise it is in the first two (`tickt list`).
  let suggestions: string[] = [];
  for (let n = config.findTopic(words[0]!) ? 2 : 1; n <= Math.min(words.length, 3) && !suggestions.length; n++) {
    const prefix = words.slice(0, n - 1).join(':');
    const candidates = ids.filter((c) => c.split(':').length === n && (!prefix || c.startsWith(`${prefix}:`)));
    // A near topic takes the words after it where they make a command: `tickt list` -> ticket list.
    suggestions = closest(words.slice(0, n).join(':'), candidates).map((s) => {
      let full = s;
      for (const next of words.slice(n)) {
        if (!ids.some((c) => c === `${full}:${next}` || c.startsWith(`${full}:${next}:`))) break;
        full = `${full}:${next}`;
      }
      return full;
    });
  }
  const typed = spaced(id);
  const [topic] = words;
  const message =
    `"${typed}" is not a ${config.bin} command.` +
    (suggestions.length ? ` Did you mean ${suggestions.slice(0, 3).map((s) => `"${config.bin} ${spaced(s)}"`).join(' or ')}?` : '');
  const hint = config.findTopic(topic!)
    ? `Run \`${config.bin} ${topic} --help\` to see the ${topic} commands.`
    : `Run \`${config.bin} --help\` to see the commands.`;
  if (argv.includes('--json')) {
    process.stdout.write(`${terminalSafeJson(JSON.stringify({error: {code: 'usage', message, hint, exitCode: ExitCode.usage}}, null, 2))}\n`);
  } else {
    // The message quotes what was typed: neutralised like any outside text.
    writeText(process.stderr, shown`Error: ${message}`);
    writeText(process.stderr, shown`Hint: ${hint}`);
  }
  this.exit(ExitCode.usage);
};

export default hook;
