import {execFileSync} from 'node:child_process';
import {mkdtempSync, readdirSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

/**
 * secretlint with its recommended preset: a detector written by other people, run over the
 * files a test wrote. Every bundle the tests write goes through it and must give 0 findings.
 */
export async function secretlintDir(dir: string): Promise<{findings: number; report: string}> {
  const {createEngine} = await import('@secretlint/node');
  const engine = await createEngine({
    cwd: dir,
    formatter: 'json',
    color: false,
    configFileJSON: {rules: [{id: '@secretlint/secretlint-rule-preset-recommend'}]},
  });
  const files = readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
  if (files.length === 0) return {findings: 0, report: '[]'};
  const result = await engine.executeOnFiles({filePathList: files});
  const parsed = JSON.parse(result.output) as {filePath: string; messages: {ruleId: string; message: string}[]}[];
  const findings = parsed.flatMap((file) => file.messages.map((m) => `${file.filePath}: ${m.ruleId}: ${m.message}`));
  return {findings: findings.length, report: findings.join('\n')};
}

/** Unpacks a bundle (a real tar.gz, with the system's tar) and runs secretlint over what is inside. */
export async function secretlintBundle(bundlePath: string): Promise<{findings: number; report: string}> {
  const dir = mkdtempSync(join(tmpdir(), 'secretlint-bundle-'));
  try {
    execFileSync('tar', ['-xzf', bundlePath, '-C', dir]);
    return await secretlintDir(dir);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}
