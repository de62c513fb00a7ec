import {neutralise} from '../domain/neutralise.js';

/**
 * Questions asked on a terminal. Commands use this interface, never @inquirer/prompts
 * directly, so the library is loaded only when a question is really asked. Messages and
 * choices may quote outside text (a path, a profile's URL): they are neutralised here.
 */
export interface Prompter {
  /** `required: false` lets the person leave it empty (Enter). */
  input(message: string, options?: {default?: string; required?: boolean; validate?: (value: string) => true | string}): Promise<string>;
  editor(message: string, options?: {default?: string; validate?: (value: string) => true | string}): Promise<string>;
  password(message: string): Promise<string>;
  confirm(message: string, options?: {default?: boolean}): Promise<boolean>;
  select<T extends string>(message: string, choices: {value: T; name?: string; description?: string}[]): Promise<T>;
}

export interface PromptStreams {
  input: NodeJS.ReadableStream;
  /** Prompts go to stderr so that stdout stays clean data. */
  output: NodeJS.WritableStream;
}

export function createPrompter(streams: PromptStreams): Prompter {
  const load = () => import('@inquirer/prompts');
  const context = {input: streams.input, output: streams.output} as never;
  const say = (text: string) => neutralise(text, 'line');
  return {
    async input(message, options = {}) {
      return (await load()).input({message: say(message), default: options.default, validate: options.validate, required: options.required ?? true}, context);
    },
    async editor(message, options = {}) {
      return (await load()).editor({message: say(message), default: options.default, validate: options.validate, postfix: '.md'}, context);
    },
    async password(message) {
      return (await load()).password({message: say(message), mask: '*'}, context);
    },
    async confirm(message, options = {}) {
      return (await load()).confirm({message: say(message), default: options.default}, context);
    },
    async select(message, choices) {
      const shownChoices = choices.map((c) => ({...c, name: say(c.name ?? c.value), description: c.description === undefined ? undefined : say(c.description)}));
      return (await load()).select({message: say(message), choices: shownChoices}, context);
    },
  };
}
