import {execFile} from 'node:child_process';

import type {ExternalToken} from '../registry.js';

/** How long `gh auth token` may take before it is given up on (it reads a file or the keyring). */
const GH_TIMEOUT_MS = 5000;

/** The host a token is for: github.com, or the Enterprise Server host of the profile's API root. */
export function githubHost(url: string | undefined): string {
  if (!url) return 'github.com';
  const host = new URL(url).host.toLowerCase();
  return host === 'api.github.com' ? 'github.com' : host;
}

const usable = (value: string | undefined) => {
  const token = value?.trim();
  return token && !/\s/.test(token) ? token : undefined;
};

/**
 * A token from GitHub's own tools, as gh looks for one: GH_TOKEN then GITHUB_TOKEN for
 * github.com, GH_ENTERPRISE_TOKEN then GITHUB_ENTERPRISE_TOKEN for an Enterprise Server (so a
 * github.com token never goes to another host), then `gh auth token --hostname HOST` when gh
 * is installed and logged in there.
 */
export async function findGithubToken(profile: {url?: string}, env: NodeJS.ProcessEnv): Promise<ExternalToken | undefined> {
  const host = githubHost(profile.url);
  const names = host === 'github.com' || host.endsWith('.ghe.com') ? ['GH_TOKEN', 'GITHUB_TOKEN'] : ['GH_ENTERPRISE_TOKEN', 'GITHUB_ENTERPRISE_TOKEN'];
  for (const name of names) {
    const token = usable(env[name]);
    if (token) return {token, source: 'env', origin: name};
  }
  const fromGh = await ghAuthToken(host, env);
  return fromGh ? {token: fromGh, source: 'external', origin: 'gh auth token'} : undefined;
}

/** `gh auth token --hostname HOST`, or undefined when gh is not installed, not logged in there, or slow. */
function ghAuthToken(host: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    try {
      execFile('gh', ['auth', 'token', '--hostname', host], {env, timeout: GH_TIMEOUT_MS, windowsHide: true, maxBuffer: 64 * 1024}, (error, stdout) => {
        resolve(error ? undefined : usable(String(stdout).split(/\r?\n/)[0]));
      });
    } catch {
      resolve(undefined);
    }
  });
}
