/**
 * The help topics: `support help exit-codes`, `support help environment`, `support help
 * formatting`. The one source of their text: the README's sections of the same names are this
 * text rendered as Markdown (test/cli/help-topics.test.ts keeps them equal; UPDATE_README=1
 * rewrites them).
 */
export interface HelpTopic {
  name: string;
  /** The README's heading, and the first line of the terminal text. */
  title: string;
  summary: string;
  intro?: string;
  table?: {head: [string, string]; rows: [string, string][]; rightAlignFirst?: boolean};
  bullets?: string[];
  outro?: string;
}

export const HELP_TOPICS: readonly HelpTopic[] = [
  {
    name: 'exit-codes',
    title: 'Exit codes',
    summary: 'What each exit code means, for scripts.',
    table: {
      head: ['code', 'meaning'],
      rightAlignFirst: true,
      rows: [
        ['0', 'ok'],
        ['1', 'error (including a settings or credentials file that cannot be read or saved: a full disk, a read-only directory; and a failed `support doctor` check)'],
        ['2', 'usage: bad flag, unknown command, missing or invalid input'],
        ['3', 'not found'],
        ['4', 'authentication: no token, wrong, revoked or expired token'],
        ['5', 'the backend rejected the input (validation, conflict, a change made by someone else since it was read, a read-only token)'],
        ['6', 'rate limited, still after retries'],
        ['7', 'network or backend unavailable, after retries (including a local database that is locked, damaged, empty, of a newer version, or read-only here, and `support serve` on a port already in use)'],
        ['8', 'SLA breached (`support sla status --fail-on-breach`)'],
        ['130', 'cancelled (Ctrl-C at a prompt)'],
      ],
    },
    outro: 'Every error is one sentence and a hint on stderr; add `--debug` (or `SUPPORT_DEBUG=1`) for the stack trace.',
  },
  {
    name: 'environment',
    title: 'Environment',
    summary: 'The environment variables support reads.',
    table: {
      head: ['variable', 'effect'],
      rows: [
        ['`SUPPORT_PROFILE`', 'profile to use when `--profile` is not given'],
        ['`SUPPORT_BACKEND`', "backend kind, over the profile's"],
        ['`SUPPORT_URL`', "backend URL, over the profile's"],
        ['`SUPPORT_TOKEN`', 'token to use; wins over stored credentials and is never stored'],
        ['`GH_TOKEN`, `GITHUB_TOKEN`', "a github profile's token for github.com when none is stored (`GH_ENTERPRISE_TOKEN`, `GITHUB_ENTERPRISE_TOKEN` for an Enterprise Server)"],
        ['`SUPPORT_CONFIG_DIR`', 'settings and credentials directory'],
        ['`SUPPORT_DATA_DIR`', 'data directory (the local store)'],
        ['`SUPPORT_CACHE_DIR`', 'cache directory'],
        ['`SUPPORT_NO_INPUT`', '`1`: never prompt'],
        ['`SUPPORT_DEBUG`', '`1`: debug output and stack traces'],
        ['`SUPPORT_USER`', 'user name the local backend acts as (default: your login name)'],
        ['`SUPPORT_CREDENTIAL_STORE`', '`file`: skip the system keyring and use the credentials file'],
        ['`SUPPORT_NO_UPDATE_NOTIFIER`', '`1`: never check for a newer version (nor when `CI` is set or without a terminal)'],
        ['`SUPPORT_NPM_REGISTRY`', 'npm registry that `support plugins install` uses'],
        ['`SUPPORT_NPM_LOG_LEVEL`', 'how much npm says during `support plugins install` (`silent` ... `silly`)'],
        ['`SUPPORT_PAGER`, `PAGER`', 'the pager for long output on a terminal (default `less`; `cat` or empty: none)'],
        ['`SUPPORT_UPDATE_REGISTRY`', 'npm registry that the daily update check asks (default `https://registry.npmjs.org`)'],
        ['`SUPPORT_DATABASE_URL`', '`support serve` and its token and webhook commands: the PostgreSQL database to keep the server\'s store in (as `--database`)'],
        ['`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`', 'proxy for remote backends, as usual'],
        ['`NODE_EXTRA_CA_CERTS`', "a PEM file of extra CA certificates (a company's own CA)"],
        ['`NO_COLOR`', 'no colour'],
      ],
    },
  },
  {
    name: 'formatting',
    title: 'Output',
    summary: 'How support prints: terminals, pipes and --json.',
    bullets: [
      "On a terminal: tables that fit the terminal's width (the widest text column, such as a title, is cut with `…`; ids, states and times never are), colour, relative times (\"5 minutes ago\"), and prose such as search snippets wrapped at word boundaries. Lists and long views (`ticket list`, `ticket view`, `kb search`, `kb view`, `sla status`, ...) go through `$PAGER` (`less` by default; `SUPPORT_PAGER` wins) when they are longer than the screen; `--no-pager` prints them straight away.",
      "Piped: tab-separated rows without colour and with ISO-8601 times, one record per line, for `cut`, `awk` and `while read`. `ticket create/update/close/reopen` print just the ticket id, so `id=$(support ticket create ...)` works.",
      "`--json`: the command's typed result. Errors: `{\"error\": {\"code\", \"message\", \"hint\", \"exitCode\"}}`.",
      "`--json FIELDS` (`--json id,title`) keeps only those fields: fields of the result itself (`nextCursor`) or of each item of its lists (`id` of each ticket of `ticket list`); the result keeps its shape. A name the result does not have is a usage error (exit 2) that lists the ones it has. When the command takes a word argument, write `--json=FIELDS` or put the fields after it if a single name could be read as that word.",
      "`--jq EXPR` filters the JSON result with jq (jq 1.7 itself, built in; implies `--json`): `support ticket list --jq '.tickets[].id'`. A string prints as text, anything else as JSON, one per line. An expression that is not valid jq is a usage error before the command runs; errors stay the JSON error document.",
      "Data goes to stdout; messages, progress and warnings go to stderr. `NO_COLOR` and `--no-color` turn colour off.",
      "Prompts appear only with a terminal on stdin and stderr, and never with `--no-input` or `SUPPORT_NO_INPUT=1`: then missing input is a usage error naming the flags to pass.",
    ],
  },
];

export function findHelpTopic(name: string): HelpTopic | undefined {
  return HELP_TOPICS.find((t) => t.name === name);
}

const plain = (text: string) => text.replaceAll('`', '');

function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** The topic for a terminal: oclif's help style (an upper-case heading, two-space indents). */
export function renderTopicText(topic: HelpTopic, width = 100): string {
  const out = [topic.title.toUpperCase(), ...wrap(topic.summary, width, '  '), ''];
  if (topic.intro) out.push(...wrap(plain(topic.intro), width, '  '), '');
  if (topic.table) {
    const rows = topic.table.rows.map(([a, b]) => [plain(a), plain(b)] as const);
    const first = Math.max(...rows.map(([a]) => a.length));
    for (const [a, b] of rows) {
      const key = topic.table.rightAlignFirst ? a.padStart(first) : a.padEnd(first);
      const [head, ...rest] = wrap(b, width - first - 4, '');
      out.push(`  ${key}  ${head ?? ''}`, ...rest.map((l) => `  ${' '.repeat(first)}  ${l}`));
    }
    out.push('');
  }
  for (const bullet of topic.bullets ?? []) {
    const [head, ...rest] = wrap(plain(bullet), width - 4, '');
    out.push(`  - ${head}`, ...rest.map((l) => `    ${l}`));
  }
  if (topic.bullets) out.push('');
  if (topic.outro) out.push(...wrap(plain(topic.outro), width, '  '), '');
  return out.join('\n').trimEnd();
}

/** The topic as the README shows it, under its own `## title` heading. */
export function renderTopicMarkdown(topic: HelpTopic): string {
  const out: string[] = [];
  if (topic.intro) out.push(topic.intro, '');
  if (topic.table) {
    const {head, rows, rightAlignFirst} = topic.table;
    out.push(`| ${head[0]} | ${head[1]} |`, `| ${rightAlignFirst ? '---:' : '---'} | --- |`, ...rows.map(([a, b]) => `| ${a} | ${b} |`), '');
  }
  for (const bullet of topic.bullets ?? []) out.push(`- ${bullet}`);
  if (topic.bullets) out.push('');
  if (topic.outro) out.push(topic.outro, '');
  return out.join('\n').trimEnd();
}
