// The update check, in a detached process started by update-notice.ts: asks the registry for
// the package's `latest` version and records it. Usage: node update-check.js URL STATE_FILE
import {readUpdateState, writeUpdateState} from './update-notice.js';

const [url, file] = process.argv.slice(2);
if (url && file) {
  try {
    const response = await fetch(url, {headers: {accept: 'application/json'}, signal: AbortSignal.timeout(10_000)});
    const body = (await response.json()) as {version?: unknown};
    if (response.ok && typeof body.version === 'string' && /^\d+\.\d+\.\d+$/.test(body.version)) {
      writeUpdateState(file, {...readUpdateState(file), latest: body.version});
    }
  } catch {
    // Offline, a slow or odd registry: try again tomorrow.
  }
}
