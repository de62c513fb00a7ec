import {userInfo} from 'node:os';
import {join} from 'node:path';

import type {Backend, Identity} from '../backends/backend.js';
import {openBackend, openKbCache} from '../backends/registry.js';
import {UsageError} from '../domain/errors.js';
import {findToken} from '../services/auth.js';
import {CredentialStore} from '../store/credentials.js';
import type {Paths} from '../store/paths.js';
import {DEFAULT_PROFILE, ProfileStore, validateProfileName, type Profile} from '../store/profiles.js';
import type {CommandIO} from './io.js';
import {DEFAULT_WIDTH, type OutputMode} from './output.js';
import {createPrompter, type Prompter} from './prompts.js';
import {shown, writeText} from './shown.js';

export interface ContextOptions {
  paths: Paths;
  env: NodeJS.ProcessEnv;
  /** --profile, when given. */
  profile?: string;
  noInput: boolean;
  noColor: boolean;
  debug: boolean;
  /** The command's streams: the process's, or a test's own. */
  io: CommandIO;
  warn: (message: string) => void;
}

export interface ActiveProfile {
  name: string;
  profile: Profile;
}

const truthy = (value: string | undefined) => value !== undefined && !/^(0|false|no|)$/i.test(value.trim());

/**
 * Everything a command may need, each built on first use: `support --version` and `--help`
 * build none of it, and a command that never talks to a backend never opens one.
 */
export class Context {
  private profilesStore?: ProfileStore;
  private credentialsStore?: CredentialStore;
  private active?: Promise<ActiveProfile>;
  private opened?: Promise<Backend>;
  private prompterInstance?: Prompter;

  constructor(readonly options: ContextOptions) {}

  get paths(): Paths {
    return this.options.paths;
  }

  get env(): NodeJS.ProcessEnv {
    return this.options.env;
  }

  get mode(): OutputMode {
    const {stdout} = this.options.io;
    const tty = Boolean(stdout.isTTY);
    const color = tty && !this.options.noColor && this.env.NO_COLOR === undefined && this.env.TERM !== 'dumb';
    return {tty, color, width: tty ? stdout.columns || DEFAULT_WIDTH : undefined};
  }

  get debugEnabled(): boolean {
    return this.options.debug || truthy(this.env.SUPPORT_DEBUG);
  }

  /** Prompts only with a person at a terminal, and never under --no-input or SUPPORT_NO_INPUT. */
  get interactive(): boolean {
    return (
      !this.options.noInput &&
      !truthy(this.env.SUPPORT_NO_INPUT) &&
      Boolean(this.options.io.stdin.isTTY) &&
      Boolean(this.options.io.stderr.isTTY)
    );
  }

  get profiles(): ProfileStore {
    return (this.profilesStore ??= new ProfileStore(this.paths.configDir));
  }

  get credentials(): CredentialStore {
    return (this.credentialsStore ??= new CredentialStore({
      configDir: this.paths.configDir,
      env: this.env,
      warn: this.options.warn,
    }));
  }

  get prompter(): Prompter {
    return (this.prompterInstance ??= createPrompter({input: this.options.io.stdin, output: this.options.io.stderr}));
  }

  /** The profile name in force: --profile, then SUPPORT_PROFILE, then the one chosen with `profile use`. */
  async profileName(): Promise<string> {
    const named = this.options.profile ?? this.env.SUPPORT_PROFILE;
    if (named) return validateProfileName(named);
    return (await this.profiles.read()).currentProfile ?? DEFAULT_PROFILE;
  }

  /** The active profile, with SUPPORT_BACKEND and SUPPORT_URL applied over it. */
  activeProfile(): Promise<ActiveProfile> {
    this.active ??= (async () => {
      const name = await this.profileName();
      const stored = await this.profiles.get(name);
      const profile: Profile = {...stored};
      if (this.env.SUPPORT_BACKEND) profile.backend = this.env.SUPPORT_BACKEND;
      if (this.env.SUPPORT_URL) profile.url = this.env.SUPPORT_URL;
      return {name, profile};
    })();
    return this.active;
  }

  identity(profile: Profile): Identity {
    return {name: profile.user ?? this.env.SUPPORT_USER ?? userInfo().username, role: profile.as ?? 'customer'};
  }

  backend(): Promise<Backend> {
    this.opened ??= this.openActive();
    return this.opened;
  }

  /**
   * Opens the active profile's backend. With `token`, that token is used instead of the stored
   * one (to check a token before `auth login` stores it); the caller closes that backend.
   */
  async openActive(token?: string): Promise<Backend> {
    const {name, profile} = await this.activeProfile();
    return this.openProfile(name, profile, token);
  }

  /** Opens a named profile's backend, with its stored token unless `token` is given; the caller closes it. */
  openProfile(name: string, profile: Profile, token?: string): Promise<Backend> {
    return openBackend(profile.backend, {
      profile: name,
      url: profile.url,
      email: profile.email,
      repo: profile.repo,
      settings: profile.options ?? {},
      token: token === undefined ? async () => (await findToken(this.credentials, name, profile, this.env))?.token : async () => token,
      dataDir: this.paths.dataDir,
      cacheDir: this.paths.cacheDir,
      identity: this.identity(profile),
      debug: this.debugEnabled ? (line) => writeText(this.options.io.stderr, shown`[debug] ${line}`) : undefined,
    });
  }

  /** True when the profile was named (--profile or SUPPORT_PROFILE) rather than taken from settings. */
  get profileNamed(): boolean {
    return Boolean(this.options.profile ?? this.env.SUPPORT_PROFILE);
  }

  /**
   * The offline copy of the active profile's knowledge base in the cache directory. Without
   * `source` only an existing, synced copy (undefined when there is none); with it (the
   * profile's URL), one to sync into. The caller closes it.
   */
  async kbCache(source?: string) {
    const {name} = await this.activeProfile();
    return openKbCache(join(this.paths.cacheDir, 'kb', name), source);
  }

  /** Asks for a value on a terminal, or fails with a usage error naming the flag. */
  requireInteractive(missing: string[]): void {
    if (this.interactive) return;
    throw new UsageError(`Missing ${missing.join(', ')}.`, {
      hint: `Pass ${missing.length > 1 ? 'them' : 'it'} on the command line; prompts are off without a terminal or with --no-input.`,
    });
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    const backend = await this.opened.catch(() => undefined);
    await backend?.close();
  }
}
