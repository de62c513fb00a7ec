import {chmodSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {ConfigError} from '../../src/domain/errors.js';
import {CredentialStore} from '../../src/store/credentials.js';
import {sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
let warnings: string[];
let store: CredentialStore;
beforeEach(() => {
  box = sandbox();
  warnings = [];
  store = new CredentialStore({configDir: box.env.SUPPORT_CONFIG_DIR, env: {SUPPORT_CREDENTIAL_STORE: 'file'}, warn: (m) => warnings.push(m)});
});
afterEach(() => box.cleanup());

describe('credential store', () => {
  it('writes tokens to a 0600 file in a private directory, and says plainly that it is unencrypted', async () => {
    expect(await store.set('work', 'tok-123')).toBe('file');
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(statSync(box.env.SUPPORT_CONFIG_DIR).mode & 0o077).toBe(0);
    expect(warnings.join()).toContain('stored unencrypted');
    expect(await store.get('work')).toEqual({token: 'tok-123', source: 'file'});
    expect(await store.get('other')).toBeUndefined();
    // temp-file-and-rename leaves no temp files behind
    expect(readdirSync(box.env.SUPPORT_CONFIG_DIR)).toEqual(['credentials.json']);
  });

  it('keeps other profiles when one is added or removed', async () => {
    await store.set('a', 'ta');
    await store.set('b', 'tb');
    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
    expect(await store.get('b')).toEqual({token: 'tb', source: 'file'});
  });

  it('refuses a credentials file that others can read', async () => {
    await store.set('work', 'tok');
    chmodSync(store.file, 0o644);
    await expect(store.get('work')).rejects.toThrow(ConfigError);
    await expect(store.get('work')).rejects.toThrow(/can be read by other users/);
  });

  it('refuses a credentials file that is not JSON without overwriting it', async () => {
    await store.set('work', 'tok');
    writeFileSync(store.file, 'garbage', {mode: 0o600});
    await expect(store.get('work')).rejects.toThrow(/not valid JSON/);
    await expect(store.set('work', 'new')).rejects.toThrow(/not valid JSON/);
    expect(readFileSync(store.file, 'utf8')).toBe('garbage');
  });

  it('lets SUPPORT_TOKEN win over anything stored', async () => {
    await store.set('work', 'stored');
    const fromEnv = new CredentialStore({configDir: box.env.SUPPORT_CONFIG_DIR, env: {SUPPORT_TOKEN: ' env-token ', SUPPORT_CREDENTIAL_STORE: 'file'}});
    expect(await fromEnv.get('work')).toEqual({token: 'env-token', source: 'env'});
  });

  it('falls back to the file when no Secret Service is reachable', async () => {
    const noBus = new CredentialStore({configDir: box.env.SUPPORT_CONFIG_DIR, env: {}, warn: (m) => warnings.push(m)});
    expect(await noBus.set('work', 'tok')).toBe('file');
    expect(await noBus.get('work')).toEqual({token: 'tok', source: 'file'});
  });
});
