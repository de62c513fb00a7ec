import {Help} from '@oclif/core';

import {findHelpTopic, HELP_TOPICS, renderTopicText} from './help-topics.js';

const GETTING_STARTED: [string, string][] = [
  ['support init', 'choose where tickets go (this machine, a server, a helpdesk) and log in'],
  ['support ticket create', 'file a ticket (asks for what is missing)'],
  ['support ticket list', 'your tickets, newest first'],
  ['support kb search proxy setup', 'search the knowledge base'],
  ['support doctor', 'check Node, directories, profiles and tokens'],
];

/**
 * oclif's help, plus the help topics (`support help exit-codes`, ...) and a short "getting
 * started" at the top of `support --help`. package.json names this class (oclif.helpClass).
 */
export default class SupportHelp extends Help {
  override async showHelp(argv: string[]): Promise<void> {
    const words = argv.filter((a) => !a.startsWith('-'));
    const topic = words.length === 1 ? findHelpTopic(words[0]!) : undefined;
    if (topic && !this.config.findCommand(topic.name) && !this.config.findTopic(topic.name)) {
      this.log(renderTopicText(topic, Math.min(process.stdout.columns || 100, 100)));
      return;
    }
    await super.showHelp(argv);
  }

  override formatRoot(): string {
    const topics = HELP_TOPICS.map((t): [string, string] => [`support help ${t.name}`, t.summary]);
    return [super.formatRoot(), this.section('GETTING STARTED', GETTING_STARTED), this.section('HELP TOPICS', topics)].join('\n\n');
  }
}
