import {readFileSync} from 'node:fs';
import {join} from 'node:path';

import {ConfigError, UsageError} from '../domain/errors.js';
import {ROLES, type Role} from '../domain/ticket.js';
import {describeReadFailure, writeFileAtomic} from './atomic-file.js';

export interface Profile {
  backend: string;
  url?: string;
  /** The login email of backends whose API tokens go with one (Zendesk's `{email}/token`). */
  email?: string;
  /** The repository, owner/name, of a backend that works one repository's issues (github). */
  repo?: string;
  /** Backend settings from `--option key=value`, checked against the kind's declared options. */
  options?: Record<string, string>;
  /** Who this profile acts as on backends that cannot tell (the local store). */
  as?: Role;
  user?: string;
}

export interface Settings {
  currentProfile: string;
  profiles: Record<string, Profile>;
}

export const DEFAULT_PROFILE = 'default';
/** With no configuration at all, `default` is the embedded local store: nothing to set up. */
export const IMPLICIT_DEFAULT: Profile = {backend: 'local'};

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;

export function validateProfileName(name: string): string {
  if (!NAME.test(name)) {
    throw new UsageError(`"${name}" is not a valid profile name.`, {
      hint: 'Use letters, digits, hyphens and underscores, starting with a letter or digit.',
    });
  }
  return name;
}

export function parseRole(value: string): Role {
  if ((ROLES as readonly string[]).includes(value)) return value as Role;
  throw new UsageError(`"${value}" is not a valid role.`, {hint: `Use one of: ${ROLES.join(', ')}.`});
}

/**
 * Profiles and the current one, in `<configDir>/config.json` (JSON, as conf wrote it before).
 * Every change replaces the file whole or not at all (store/atomic-file.ts): a full disk or a
 * read-only directory leaves the old file as it was and says so in one sentence.
 */
export class ProfileStore {
  private cached?: Record<string, unknown>;

  constructor(private readonly configDir: string) {}

  get file(): string {
    return join(this.configDir, 'config.json');
  }

  /** Reads the file directly: every command reads settings, few change them. */
  async read(): Promise<Settings> {
    const store = (this.cached ??= this.readFile());
    const profiles = (store.profiles ?? {}) as Record<string, Profile>;
    return {currentProfile: (store.currentProfile as string | undefined) ?? DEFAULT_PROFILE, profiles};
  }

  /** The profile by name; `default` exists even before anything was configured. */
  async get(name: string): Promise<Profile> {
    const {profiles} = await this.read();
    const profile = profiles[name] ?? (name === DEFAULT_PROFILE ? IMPLICIT_DEFAULT : undefined);
    if (!profile) {
      throw new UsageError(`There is no profile named "${name}".`, {
        hint: `Run \`support profile list\` to see profiles, or \`support profile add ${name} --backend local\` to create it.`,
      });
    }
    return profile;
  }

  async write(settings: Settings): Promise<void> {
    // Keys this version does not know are kept as they were.
    const store = {...this.readFile(), currentProfile: settings.currentProfile, profiles: settings.profiles};
    writeFileAtomic(this.file, `${JSON.stringify(store, undefined, '\t')}`, {mode: 0o600, what: 'the settings file'});
    this.cached = store;
  }

  private readFile(): Record<string, unknown> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return {};
      throw new ConfigError(`The settings file ${this.file} cannot be read: ${describeReadFailure(error, this.file)}.`, {
        hint: `Check it (ls -l "${this.file}"), or point SUPPORT_CONFIG_DIR at another directory.`,
        cause: error,
      });
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // reported below
    }
    throw this.invalid();
  }

  private invalid(cause?: unknown): ConfigError {
    return new ConfigError(`The settings file ${this.file} is not valid JSON, so it was left as it is.`, {
      hint: `Fix it in an editor (or move it aside: mv "${this.file}" "${this.file}.bak") and run the command again.`,
      cause,
    });
  }
}
