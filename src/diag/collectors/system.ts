import {readFile, statfs} from 'node:fs/promises';
import {arch, availableParallelism, cpus, endianness, freemem, hostname, loadavg, machine, platform, release, tmpdir, totalmem, type, uptime, version} from 'node:os';

import {addScrubbedText, asJson, type Collector} from './collector.js';

export interface SystemCollectorOptions {
  /** Folders whose file systems' free space is reported (the working and data directories). */
  diskPaths: string[];
}

export interface DiskSpace {
  path: string;
  totalBytes?: number;
  freeBytes?: number;
  availableBytes?: number;
  error?: string;
}

/** OS, kernel, architecture, CPU, memory, disk space, uptime, locale and time zone. */
export function systemCollector(options: SystemCollectorOptions): Collector {
  return {
    name: 'system',
    timeoutMs: 10_000,
    async run(ctx) {
      const cpuList = cpus();
      const intl = Intl.DateTimeFormat().resolvedOptions();
      const info = {
        os: {type: type(), platform: platform(), release: release(), version: version(), distribution: await osRelease()},
        kernel: release(),
        arch: arch(),
        machine: machine(),
        endianness: endianness(),
        hostname: hostname(),
        cpu: {model: cpuList[0]?.model.trim() ?? 'unknown', cores: cpuList.length, availableParallelism: availableParallelism(), speedMHz: cpuList[0]?.speed ?? 0},
        loadAverage: loadavg(),
        memory: {totalBytes: totalmem(), freeBytes: freemem()},
        disks: await Promise.all([...new Set([...options.diskPaths, tmpdir()])].map(diskSpace)),
        uptimeSeconds: Math.round(uptime()),
        locale: {intl: intl.locale, LANG: process.env.LANG ?? null, LC_ALL: process.env.LC_ALL ?? null},
        timeZone: {name: intl.timeZone, utcOffsetMinutes: -new Date().getTimezoneOffset()},
        collectedAt: new Date().toISOString(),
      };
      await addScrubbedText(ctx, 'system.json', 'system', asJson(info));
    },
  };
}

async function diskSpace(path: string): Promise<DiskSpace> {
  try {
    const s = await statfs(path);
    return {path, totalBytes: s.blocks * s.bsize, freeBytes: s.bfree * s.bsize, availableBytes: s.bavail * s.bsize};
  } catch (error) {
    return {path, error: (error as NodeJS.ErrnoException).code ?? (error as Error).message};
  }
}

/** The distribution's name on Linux (PRETTY_NAME of /etc/os-release); null elsewhere. */
async function osRelease(): Promise<string | null> {
  if (platform() !== 'linux') return null;
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return match?.[1] ?? null;
}
