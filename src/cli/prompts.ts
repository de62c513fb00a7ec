/**
 * Questions asked on a terminal. Commands use this interface, never @inquirer/prompts
 * directly, so the library is loaded only when a question is really asked.
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
  return {
    async input(message, options = {}) {
      return (await load()).input({message, default: options.default, validate: options.validate, required: options.required ?? true}, context);
    },
    async editor(message, options = {}) {
      return (await load()).editor({message, default: options.default, validate: options.validate, postfix: '.md'}, context);
    },
    async password(message) {
      return (await load()).password({message, mask: '*'}, context);
    },
    async confirm(message, options = {}) {
      return (await load()).confirm({message, default: options.default}, context);
    },
    async select(message, choices) {
      return (await load()).select({message, choices}, context);
    },
  };
}
