/** Where the CLI keeps its files. oclif resolves them (XDG, and SUPPORT_*_DIR overrides). */
export interface Paths {
  configDir: string;
  dataDir: string;
  cacheDir: string;
}
