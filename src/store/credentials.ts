import {chmodSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';

import {ConfigError} from '../domain/errors.js';
import {describeReadFailure, writeFileAtomic} from './atomic-file.js';

export type CredentialSource = 'env' | 'keyring' | 'file';

export interface StoredToken {
  token: string;
  source: CredentialSource;
}

const SERVICE = 'supportkit';
const KEYRING_TIMEOUT_MS = 3000;
const account = (profile: string) => `profile:${profile}`;

type KeyringEntry = {
  getPassword(signal?: AbortSignal): Promise<string | null>;
  setPassword(password: string, signal?: AbortSignal): Promise<void>;
  deletePassword(signal?: AbortSignal): Promise<boolean>;
};

export interface CredentialStoreOptions {
  configDir: string;
  env?: NodeJS.ProcessEnv;
  /** Told when a token had to be written in plain text. */
  warn?: (message: string) => void;
}

/**
 * Tokens, looked up in this order: SUPPORT_TOKEN, the OS keyring (the Secret Service on
 * Linux, never the kernel keyring, which forgets on reboot), a 0600 file in the config dir.
 */
export class CredentialStore {
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly options: CredentialStoreOptions) {
    this.env = options.env ?? process.env;
  }

  get file(): string {
    return join(this.options.configDir, 'credentials.json');
  }

  async get(profile: string): Promise<StoredToken | undefined> {
    const fromEnv = this.env.SUPPORT_TOKEN?.trim();
    if (fromEnv) return {token: fromEnv, source: 'env'};
    const entry = await this.keyringEntry(profile);
    if (entry) {
      const token = await entry.getPassword(AbortSignal.timeout(KEYRING_TIMEOUT_MS)).catch(() => null);
      if (token) return {token, source: 'keyring'};
    }
    const token = this.readFile()[profile];
    return token ? {token, source: 'file'} : undefined;
  }

  /** Stores the token where it is safest, and says where. */
  async set(profile: string, token: string): Promise<Exclude<CredentialSource, 'env'>> {
    const entry = await this.keyringEntry(profile);
    if (entry) {
      try {
        await entry.setPassword(token, AbortSignal.timeout(KEYRING_TIMEOUT_MS));
        this.removeFromFile(profile);
        return 'keyring';
      } catch {
        // No usable keyring (locked, no Secret Service): fall back to the file below.
      }
    }
    const tokens = this.readFile();
    tokens[profile] = token;
    this.writeFile(tokens);
    this.options.warn?.(
      `No system keyring is available, so the token was stored unencrypted in ${this.file} (readable only by you).`,
    );
    return 'file';
  }

  /** Removes the profile's token from the keyring and the file; true when there was one. */
  async delete(profile: string): Promise<boolean> {
    let removed = false;
    const entry = await this.keyringEntry(profile);
    if (entry) removed = (await entry.deletePassword(AbortSignal.timeout(KEYRING_TIMEOUT_MS)).catch(() => false)) || removed;
    return this.removeFromFile(profile) || removed;
  }

  private removeFromFile(profile: string): boolean {
    const tokens = this.readFile();
    if (!(profile in tokens)) return false;
    delete tokens[profile];
    this.writeFile(tokens);
    return true;
  }

  private async keyringEntry(profile: string): Promise<KeyringEntry | undefined> {
    const choice = this.env.SUPPORT_CREDENTIAL_STORE;
    if (choice === 'file') return undefined;
    // The Secret Service lives on the session bus; without one, asking would only time out.
    if (process.platform === 'linux' && !this.env.DBUS_SESSION_BUS_ADDRESS) return undefined;
    try {
      const {AsyncEntry} = await import('@napi-rs/keyring');
      return new AsyncEntry(SERVICE, account(profile), {linux: {store: 'secret-service'}}) as KeyringEntry;
    } catch {
      return undefined;
    }
  }

  private readFile(): Record<string, string> {
    let mode: number;
    let text: string;
    try {
      mode = statSync(this.file).mode;
      if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
        throw new ConfigError(`The credentials file ${this.file} can be read by other users, so it was not used.`, {
          hint: `Run \`chmod 600 "${this.file}"\`, then \`support auth login\` again if the token may have leaked.`,
        });
      }
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return {};
      throw new ConfigError(`The credentials file ${this.file} cannot be read: ${describeReadFailure(error, this.file)}.`, {
        hint: `Check it (ls -l "${this.file}"), or point SUPPORT_CONFIG_DIR at another directory.`,
        cause: error,
      });
    }
    try {
      const parsed = JSON.parse(text) as {tokens?: Record<string, string>};
      return {...parsed.tokens};
    } catch (error) {
      throw new ConfigError(`The credentials file ${this.file} is not valid JSON, so it was left as it is.`, {
        hint: `Move it aside (mv "${this.file}" "${this.file}.bak") and run \`support auth login\` again.`,
        cause: error,
      });
    }
  }

  /** Whole or not at all (store/atomic-file.ts): a crash or a full disk leaves the old file or the new one, never half of one. */
  private writeFile(tokens: Record<string, string>): void {
    try {
      // Only you: a directory shared with the group is tightened before a token goes in it.
      chmodSync(this.options.configDir, statSync(this.options.configDir).mode & ~0o077 & 0o7777);
    } catch {
      // not there yet (made 0700 below), or not ours to change: the write says what is wrong
    }
    writeFileAtomic(this.file, `${JSON.stringify({tokens}, null, 2)}\n`, {mode: 0o600, dirMode: 0o700, what: 'the credentials file'});
  }
}
