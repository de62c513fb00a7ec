import {classifySecretName} from '../rules.js';
import {addScrubbedText, asJson, type Collector} from './collector.js';

/**
 * Variables whose values help support and hold no secret. Everything else is listed by name
 * only: a value is never copied unless its name is here.
 */
export const ENV_VALUE_ALLOW_LIST: readonly string[] = [
  'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'TZ', 'SHELL', 'TERM', 'TERM_PROGRAM', 'TERM_PROGRAM_VERSION',
  'COLORTERM', 'NO_COLOR', 'FORCE_COLOR', 'CI', 'container', 'WSL_DISTRO_NAME',
  'SUPPORT_PROFILE', 'SUPPORT_BACKEND', 'SUPPORT_URL', 'SUPPORT_CONFIG_DIR', 'SUPPORT_DATA_DIR', 'SUPPORT_CACHE_DIR',
  'SUPPORT_NO_INPUT', 'SUPPORT_DEBUG', 'SUPPORT_CREDENTIAL_STORE', 'NODE_VERSION', 'NODE_ENV', 'NODE_EXTRA_CA_CERTS',
  'NODE_TLS_REJECT_UNAUTHORIZED', 'NPM_CONFIG_REGISTRY', 'npm_config_registry',
];

/** Variable names always; values only for the allow-list, and never for a name that sounds secret. */
export function environmentCollector(env: NodeJS.ProcessEnv): Collector {
  return {
    name: 'environment',
    timeoutMs: 5000,
    async run(ctx) {
      const allowed = new Set(ENV_VALUE_ALLOW_LIST);
      const names = Object.keys(env).sort();
      const values: Record<string, string> = {};
      for (const name of names) {
        const value = env[name];
        if (value !== undefined && allowed.has(name) && !classifySecretName(name)) values[name] = value;
      }
      const info = {variables: names, values, valuesShownFor: [...ENV_VALUE_ALLOW_LIST].sort()};
      // SUPPORT_URL may carry user:password@; the scrubber takes that out with the rest.
      await addScrubbedText(ctx, 'environment.json', 'environment', asJson(info));
    },
  };
}
