import {readFileSync} from 'node:fs';
import {join} from 'node:path';

import {ConfigError, UsageError} from '../domain/errors.js';
import {ROLES, type Role} from '../domain/ticket.js';

export interface Profile {
  backend: string;
  url?: string;
  /** The login email of backends whose API tokens go with one (Zendesk's `{email}/token`). */
  email?: string;
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

type ConfStore = {store: Record<string, unknown>; path: string};

/**
 * Profiles and the current one, kept by conf in `<configDir>/config.json`. conf is loaded on
 * first use so that commands which never read settings do not pay for it.
 */
export class ProfileStore {
  private conf?: ConfStore;

  constructor(private readonly configDir: string) {}

  get file(): string {
    return join(this.configDir, 'config.json');
  }

  /**
   * Reads the file directly: every command reads settings, few change them, and conf (with
   * its schema validator) costs more start-up than the whole read.
   */
  async read(): Promise<Settings> {
    const store = this.conf ? this.conf.store : this.readFile();
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
    const conf = await this.open();
    conf.store = {...conf.store, currentProfile: settings.currentProfile, profiles: settings.profiles};
  }

  private readFile(): Record<string, unknown> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // reported below, with the same words conf's failure gets
    }
    throw this.invalid();
  }

  private invalid(cause?: unknown): ConfigError {
    return new ConfigError(`The settings file ${this.file} is not valid JSON, so it was left as it is.`, {
      hint: `Fix it in an editor (or move it aside: mv "${this.file}" "${this.file}.bak") and run the command again.`,
      cause,
    });
  }

  private async open(): Promise<ConfStore> {
    if (this.conf) return this.conf;
    const {default: Conf} = await import('conf');
    try {
      this.conf = new Conf<Record<string, unknown>>({
        cwd: this.configDir,
        configName: 'config',
        projectName: 'supportkit',
        projectSuffix: '',
        clearInvalidConfig: false,
      }) as unknown as ConfStore;
    } catch (error) {
      throw this.invalid(error);
    }
    return this.conf;
  }
}
