import {createHash} from 'node:crypto';

/**
 * A seeded generator of fresh secrets planted in the syntaxes customers send, with near
 * misses beside them that must reach support unchanged. The same seed gives the same files,
 * so a failure replays: tests print the seed, and SCRUB_SEED=<seed> runs it again.
 */

export type Rng = () => number;

/** sfc32: small, fast and good enough to pick characters. */
export function seededRng(seed: number): Rng {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ (seed >>> 3);
  let c = 0xb7e15162 ^ (seed << 7);
  let d = seed;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

export function seedFromEnv(): number {
  const given = process.env.SCRUB_SEED;
  return given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';
/** What people put in passwords, less what would end the value in one of the syntaxes (quotes, spaces, #, &, @, /). */
const PASSWORD_CHARS = `${ALNUM}!*-_.~+^`;

export class Gen {
  constructor(readonly rng: Rng) {}

  int(max: number): number {
    return Math.floor(this.rng() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chars(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }

  /** Random with an upper, a lower and a digit: what a generated credential looks like. */
  mixed(alphabet: string, length: number): string {
    for (;;) {
      const value = this.chars(alphabet, length);
      if (/[A-Z]/.test(value) && /[a-z]/.test(value) && /[0-9]/.test(value)) return value;
    }
  }

  /** A password: sometimes starting with `~` (the old `=~` gap), sometimes with symbols. */
  password(): string {
    const body = this.mixed(PASSWORD_CHARS, 12 + this.int(20));
    return this.int(5) === 0 ? `~${body}` : body;
  }

  hex(length: number): string {
    return this.chars(HEX, length);
  }

  base64(bytes: number): string {
    return Buffer.from(Array.from({length: bytes}, () => this.int(256))).toString('base64');
  }

  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }

  /** A token of a provider secretlint and the scrubber both know by shape. */
  providerToken(): string {
    switch (this.int(7)) {
      case 0:
        return `ghp_${this.mixed(ALNUM, 36)}`;
      case 1:
        return `glpat-${this.mixed(ALNUM, 20)}`;
      case 2:
        return `xoxb-${this.chars('0123456789', 12)}-${this.chars('0123456789', 13)}-${this.mixed(ALNUM, 24)}`;
      case 3:
        return `sk_live_${this.mixed(ALNUM, 24)}`;
      case 4:
        return `npm_${this.mixed(ALNUM, 36)}`;
      case 5:
        return `spt_${this.mixed(`${ALNUM}_-`, 32)}`;
      default:
        return `AIza${this.mixed(`${ALNUM}_-`, 35)}`;
    }
  }
}

/** Values that look like secrets to a careless eye but are what support needs. */
export interface NearMisses {
  commitSha: string;
  uuid: string;
  imageDigest: string;
  integrity: string;
  totalTokens: string;
  passCount: string;
  prose: string;
}

export function nearMisses(g: Gen): NearMisses {
  return {
    commitSha: g.hex(40),
    uuid: g.uuid(),
    imageDigest: `sha256:${g.hex(64)}`,
    integrity: `sha512-${g.base64(64)}`,
    totalTokens: `total_tokens=${1000 + g.int(9000)}`,
    passCount: `pass: ${100 + g.int(900)}`,
    prose: g.pick([
      'Reset your password if it has expired.',
      'The password is wrong, please try again.',
      'The token is expired; log in again.',
      'Password must be at least 12 characters long.',
      'Your api key is invalid.',
    ]),
  };
}

/** One generated file: where it goes in the fake tree, its content, what must go and what must stay. */
export interface Planted {
  syntax: string;
  path: string;
  content: string;
  secrets: string[];
  keep: string[];
}

/** Secret-sounding keys in the spellings people use, other languages included. */
export const SECRET_KEYS = [
  'password', 'passwd', 'db_password', 'DB_PASSWORD', 'dbPassword', 'apiKey', 'api_key', 'API_KEY', 'client_secret', 'clientSecret',
  'secret', 'secretKey', 'access_token', 'accessToken', 'auth_token', 'refresh_token', 'private_key', 'passphrase', 'token',
  'Passwort', 'Kennwort', 'contraseña', 'mot_de_passe', '密码', 'senha', 'wachtwoord', 'SMTP_PASS', 'REDIS_PASSWORD',
];

/** A syntax that puts a value under a key. Keys are safe identifiers for every syntax (no spaces, no quotes). */
export interface KeyedSyntax {
  name: string;
  path: string;
  render(key: string, secret: string, near: NearMisses): string;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const xmlName = (key: string) => (/^[A-Za-z_][\w.-]*$/.test(key) ? key : 'password');

export const KEYED_SYNTAXES: KeyedSyntax[] = [
  {
    name: 'json-pretty-nested',
    path: 'config/app.json',
    render: (key, secret, near) => `${JSON.stringify({service: {name: 'api', commit: near.commitSha, database: {host: 'db.internal', [key]: secret}}}, null, 2)}\n`,
  },
  {
    name: 'json-one-line-nested',
    path: 'config/compact.json',
    render: (key, secret, near) => `${JSON.stringify({db: {[key]: secret}, requestId: near.uuid})}\n`,
  },
  {
    name: 'json-lines',
    path: 'logs/events.jsonl',
    render: (key, secret, near) =>
      [
        JSON.stringify({level: 'info', msg: 'start', commit: near.commitSha}),
        JSON.stringify({level: 'debug', msg: 'config', config: {auth: {[key]: secret}}}),
        JSON.stringify({level: 'info', msg: 'usage', usage: near.totalTokens}),
        '',
      ].join('\n'),
  },
  {
    name: 'json-in-log-line',
    path: 'logs/app.log',
    render: (key, secret, near) =>
      `2024-05-01T10:00:00.123Z INFO loaded ${JSON.stringify({settings: {[key]: secret, retries: 3}})} commit=${near.commitSha}\n2024-05-01T10:00:01Z INFO ${near.prose}\n`,
  },
  {
    name: 'json-env-list',
    path: 'deploy/task-definition.json',
    render: (key, secret, near) =>
      `${JSON.stringify({containerDefinitions: [{image: `app@${near.imageDigest}`, environment: [{name: 'LOG_LEVEL', value: 'info'}, {name: key, value: secret}]}]}, null, 2)}\n`,
  },
  {
    name: 'docker-inspect-env',
    path: 'docker/inspect.json',
    render: (key, secret, near) =>
      `${JSON.stringify([{Id: near.imageDigest.slice(7), Config: {Env: ['PATH=/usr/local/bin:/usr/bin', `${key}=${secret}`], Image: `app@${near.imageDigest}`}}], null, 4)}\n`,
  },
  {
    name: 'yaml-nested',
    path: 'config/settings.yaml',
    render: (key, secret, near) => `app:\n  commit: ${near.commitSha}\n  database:\n    host: db.internal\n    ${key}: ${secret}\n  ${near.passCount}\n`,
  },
  {
    name: 'yaml-quoted-flow',
    path: 'config/flow.yml',
    render: (key, secret) => `auth: {user: bob, ${key}: "${secret}"}\nother: 'x'\n`,
  },
  {
    name: 'yaml-k8s-env-list',
    path: 'k8s/deployment.yaml',
    render: (key, secret, near) =>
      `apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app@${near.imageDigest}\n          env:\n            - name: LOG_LEVEL\n              value: info\n            - name: ${key}\n              value: "${secret}"\n`,
  },
  {
    name: 'yaml-k8s-secret',
    path: 'k8s/secret.yaml',
    render: (key, secret) =>
      `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: app-secrets\ntype: Opaque\ndata:\n  ${xmlName(key)}: ${b64(secret)}\n  tls.key: ${b64(secret.split('').reverse().join(''))}\nstringData:\n  extra: '${secret}x'\n`,
  },
  {
    name: 'toml-table',
    path: 'config/app.toml',
    render: (key, secret, near) => `title = "app"\ncommit = "${near.commitSha}"\n\n[database]\nhost = "db.internal"\n${/^[A-Za-z0-9_-]+$/.test(key) ? key : `"${key}"`} = "${secret}"\n`,
  },
  {
    name: 'toml-multiline',
    path: 'config/multi.toml',
    render: (key, secret) => `[server]\n${/^[A-Za-z0-9_-]+$/.test(key) ? key : `"${key}"`} = """\n${secret}"""\nport = 8080\n`,
  },
  {
    name: 'ini-section',
    path: 'config/app.ini',
    render: (key, secret) => `[database]\nhost = db.internal\n${key} = ${secret}\n\n[cache]\nttl = 300\n`,
  },
  {
    name: 'properties-escaped',
    path: 'config/application.properties',
    render: (key, secret, near) =>
      `# generated\nspring.datasource.url=jdbc:postgresql://db.internal/app\napp.${key.replace(/[^\x21-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)} = ${secret.slice(0, 6)}\\\n    ${secret.slice(6)}\nbuild.commit=${near.commitSha}\n`,
  },
  {
    name: 'xml-attribute',
    path: 'config/web.config',
    render: (key, secret) => `<?xml version="1.0"?>\n<configuration>\n  <smtp host="mail.internal" ${xmlName(key)}="${secret}" />\n</configuration>\n`,
  },
  {
    name: 'xml-element',
    path: 'config/settings.xml',
    render: (key, secret, near) => `<settings>\n  <servers>\n    <server>\n      <id>repo</id>\n      <${xmlName(key)}>${secret}</${xmlName(key)}>\n    </server>\n  </servers>\n  <commit>${near.commitSha}</commit>\n</settings>\n`,
  },
  {
    name: 'xml-entry-key',
    path: 'config/props.xml',
    render: (key, secret) => `<properties>\n  <entry key="db.url">jdbc:x</entry>\n  <entry key="db.${key}">${secret}</entry>\n</properties>\n`,
  },
  {
    name: 'xml-name-value',
    path: 'config/hive-site.xml',
    render: (key, secret) =>
      `<configuration>\n  <property>\n    <name>app.db.${key}</name>\n    <value>${secret}</value>\n  </property>\n</configuration>\n`,
  },
  {
    name: 'dotenv',
    path: 'app/.env',
    render: (key, secret, near) => `NODE_ENV=production\n${key}=${secret}\nGIT_SHA=${near.commitSha}\n`,
  },
  {
    name: 'shell-export',
    path: 'home/.profile',
    render: (key, secret) => `export PATH="$HOME/bin:$PATH"\nexport ${key}='${secret}'\n`,
  },
  {
    name: 'systemd-environment',
    path: 'etc/app.service',
    render: (key, secret) => `[Service]\nExecStart=/usr/bin/app\nEnvironment="LOG_LEVEL=info" "${key}=${secret}"\nEnvironment=${key}=${secret}\n`,
  },
  {
    name: 'command-flag',
    path: 'home/.bash_history',
    render: (key, secret) => `ls -la\nmytool --${/^[\x21-\x7e]+$/.test(key) ? key : 'password'}=${secret} --verbose\n`,
  },
];

/** Fixed-key syntaxes: credential files known by name, command lines, URLs, headers, token shapes, prose. */
export function plantAll(g: Gen): Planted[] {
  const near = nearMisses(g);
  const keep = (...extra: string[]) => [near.commitSha, ...extra];
  const out: Planted[] = [];
  for (const syntax of KEYED_SYNTAXES) {
    const key = g.pick(SECRET_KEYS);
    const secret = g.password();
    const content = syntax.render(key, secret, near);
    const secrets = [secret];
    if (syntax.name === 'yaml-k8s-secret') secrets.push(b64(secret), `${secret}x`);
    out.push({syntax: `${syntax.name} (${key})`, path: syntax.path, content, secrets, keep: content.includes(near.commitSha) ? keep() : []});
  }

  const pw = () => g.password();
  const user = `user${g.int(10_000)}`;
  const host = g.pick(['db.internal', 'api.example.org', 'git.example.org']);

  const netrc = [pw(), pw()];
  out.push({syntax: '.netrc', path: 'home/.netrc', content: `machine ${host} login ${user} password ${netrc[0]}\nmachine other.example.org\n  login deploy\n  password ${netrc[1]}\n`, secrets: netrc, keep: [user]});
  const pgpass = pw();
  out.push({syntax: '.pgpass', path: 'home/.pgpass', content: `# host:port:db:user:password\n${host}:5432:app:${user}:${pgpass}\n`, secrets: [pgpass], keep: [`${host}:5432:app:${user}:`]});
  const mycnf = pw();
  out.push({syntax: '.my.cnf', path: 'home/.my.cnf', content: `[client]\nuser=${user}\npassword="${mycnf}"\nhost=${host}\n`, secrets: [mycnf], keep: [user]});
  const npmToken = `npm_${g.mixed(ALNUM, 36)}`;
  const npmPass = b64(pw());
  out.push({syntax: '.npmrc', path: 'home/.npmrc', content: `registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${npmToken}\n//npm.internal/:_password=${npmPass}\n`, secrets: [npmToken, npmPass], keep: ['registry=https://registry.npmjs.org/']});
  const dockerPw = pw();
  const dockerAuth = b64(`${user}:${dockerPw}`);
  out.push({syntax: '.docker/config.json', path: 'home/.docker/config.json', content: `${JSON.stringify({auths: {'registry.internal': {auth: dockerAuth}}, credsStore: 'desktop'}, null, '\t')}\n`, secrets: [dockerAuth], keep: ['registry.internal']});
  const gitToken = `ghp_${g.mixed(ALNUM, 36)}`;
  const gitPw = `${g.mixed(ALNUM, 8)}@${g.mixed(ALNUM, 6)}`;
  out.push({syntax: '.git-credentials', path: 'home/.git-credentials', content: `https://${user}:${gitToken}@github.com\nhttps://${user}:${gitPw}@git.example.org\n`, secrets: [gitToken, gitPw, gitPw.split('@')[1]!], keep: ['github.com']});
  const apr = `$apr1$${g.chars(`${ALNUM}./`, 8)}$${g.chars(`${ALNUM}./`, 22)}`;
  const bcrypt = `$2y$10$${g.chars(`${ALNUM}./`, 53)}`;
  out.push({syntax: '.htpasswd', path: 'etc/.htpasswd', content: `${user}:${apr}\nadmin:${bcrypt}\n`, secrets: [apr.slice(6), bcrypt.slice(7)], keep: [user]});
  const ppkPublic = g.base64(51);
  const ppkPrivate = [g.base64(48), g.base64(48), g.base64(30)];
  const ppkMac = g.hex(40);
  out.push({
    syntax: 'PuTTY .ppk',
    path: 'home/id.ppk',
    content: `PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: imported\nPublic-Lines: 1\n${ppkPublic}\nPrivate-Lines: 3\n${ppkPrivate.join('\n')}\nPrivate-MAC: ${ppkMac}\n`,
    secrets: [...ppkPrivate, ppkMac],
    keep: [ppkPublic],
  });
  const pemBody = Array.from({length: 6}, () => g.base64(48));
  const pemLines = ['-----BEGIN RSA PRIVATE KEY-----', ...pemBody, '-----END RSA PRIVATE KEY-----'];
  out.push({
    syntax: 'PEM with log prefix',
    path: 'logs/tls.log',
    content: `${pemLines.map((line, i) => `2024-05-01T10:00:0${i % 10}.${String(100 + i)}Z DEBUG loaded: ${line}`).join('\n')}\n2024-05-01T10:00:09Z INFO ready ${near.commitSha}\n`,
    secrets: pemBody,
    keep: keep(),
  });
  const crlfBody = Array.from({length: 4}, () => g.base64(48));
  out.push({syntax: 'OpenSSH key, CRLF', path: 'home/.ssh/id_ed25519', content: `-----BEGIN OPENSSH PRIVATE KEY-----\r\n${crlfBody.join('\r\n')}\r\n-----END OPENSSH PRIVATE KEY-----\r\n`, secrets: crlfBody, keep: []});
  const pgpBody = Array.from({length: 4}, () => g.base64(48));
  out.push({syntax: 'PGP private key block', path: 'home/key.asc', content: `-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n${pgpBody.join('\n')}\n=${g.base64(3)}\n-----END PGP PRIVATE KEY BLOCK-----\n`, secrets: pgpBody, keep: ['Version: GnuPG v2']});

  const cmd = {redis: pw(), ldap: pw(), mysql: pw(), trust: pw(), curl: pw(), flag: pw(), pg: pw(), sshpass: pw(), docker: pw()};
  out.push({
    syntax: 'command lines',
    path: 'home/.zsh_history',
    content: [
      `: 1714557600:0;redis-cli -h ${host} -a ${cmd.redis} ping`,
      `ldapsearch -x -D cn=admin,dc=example,dc=org -w ${cmd.ldap} -b dc=example,dc=org`,
      `mysql -h ${host} -u root -p${cmd.mysql} app`,
      `java -Djavax.net.ssl.trustStorePassword=${cmd.trust} -jar app.jar`,
      `curl -u ${user}:${cmd.curl} https://${host}/v1/me`,
      `app-cli login --password=${cmd.flag}`,
      `PGPASSWORD=${cmd.pg} psql -h ${host} -U ${user} app`,
      `sshpass -p ${cmd.sshpass} ssh ${user}@${host}`,
      `docker login -u ${user} -p ${cmd.docker} registry.internal`,
      `git log ${near.commitSha}`,
      '',
    ].join('\n'),
    secrets: Object.values(cmd),
    keep: keep(),
  });
  const urlAt = `${g.mixed(ALNUM, 7)}@${g.mixed(ALNUM, 7)}`;
  const urlPct = `${g.mixed(ALNUM, 7)}%40${g.mixed(ALNUM, 7)}`;
  const query = g.mixed(`${ALNUM}_-`, 32);
  const sig = g.hex(64);
  out.push({
    syntax: 'URLs',
    path: 'logs/urls.txt',
    content: `postgres://${user}:${urlAt}@${host}:5432/app\nmongodb+srv://${user}:${urlPct}@cluster0.example.org/db\nhttps://${host}/v1/data?access_token=${query}&page=2\nhttps://bucket.example.org/o?X-Amz-Signature=${sig}&X-Amz-Expires=300\nhttps://${host}/builds/${near.commitSha}\n`,
    secrets: [urlAt, urlAt.split('@')[1]!, urlPct, query, sig],
    keep: keep(),
  });
  const auth = {header: g.mixed(`${ALNUM}_-`, 40), json: g.mixed(ALNUM, 32), go: g.mixed(ALNUM, 32), code: g.mixed(ALNUM, 32), basic: b64(`${user}:${pw()}`)};
  out.push({
    syntax: 'Authorization in any syntax',
    path: 'logs/http-debug.log',
    content: [
      `> Authorization: Bearer ${auth.header}`,
      `{"headers": {"authorization": "token ${auth.json}"}}`,
      `map[Accept:[*/*] Authorization:[Bearer ${auth.go}]]`,
      `req.set('Authorization', 'Bearer ${auth.code}')`,
      `Authorization: Basic ${auth.basic}`,
      `request id ${near.uuid}`,
      '',
    ].join('\n'),
    secrets: Object.values(auth),
    keep: [near.uuid],
  });
  const tokens = Array.from({length: 6}, () => g.providerToken());
  const awsId = `AKIA${g.chars(UPPER_DIGITS.replace(/[0189]/g, ''), 16)}`;
  const awsSecret = g.mixed(`${ALNUM}+/`, 40);
  out.push({
    syntax: 'provider token shapes',
    path: 'logs/tokens.log',
    content: `${tokens.map((t, i) => `2024-05-01T10:00:0${i}Z DEBUG using ${t} for the call`).join('\n')}\n2024-05-01T10:01:00Z ERROR aws ${awsId},${awsSecret} rejected\n`,
    secrets: [...tokens, awsId, awsSecret],
    keep: [],
  });
  const aws = {key: `AKIA${g.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`, secret: g.mixed(`${ALNUM}+/`, 40), session: g.base64(120)};
  out.push({syntax: '~/.aws/credentials', path: 'home/.aws/credentials', content: `[default]\naws_access_key_id = ${aws.key}\naws_secret_access_key = ${aws.secret}\naws_session_token = ${aws.session}\nregion = eu-west-1\n`, secrets: Object.values(aws), keep: ['eu-west-1']});
  const kube = {token: g.mixed(`${ALNUM}._-`, 60), key: b64(`-----BEGIN EC PRIVATE KEY-----\n${g.base64(90)}\n-----END EC PRIVATE KEY-----\n`)};
  out.push({
    syntax: 'kubeconfig',
    path: 'home/.kube/config',
    content: `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://k8s.internal:6443\n  name: prod\nusers:\n- name: admin\n  user:\n    token: ${kube.token}\n- name: cert\n  user:\n    client-key-data: ${kube.key}\ncurrent-context: prod\n`,
    secrets: Object.values(kube),
    keep: ['https://k8s.internal:6443', 'current-context: prod'],
  });
  const prose = {en: `${g.mixed(ALNUM, 10)}!`, apikey: g.mixed(ALNUM, 24), de: g.mixed(ALNUM, 12), zh: g.mixed(ALNUM, 12)};
  out.push({
    syntax: 'prose',
    path: 'tickets/notes.txt',
    content: `Hi, the password is ${prose.en} for the admin account.\napi key: ${prose.apikey}\nDas Passwort lautet ${prose.de}\n密码是 ${prose.zh}\n${near.prose}\n`,
    secrets: [prose.en.slice(0, -1), prose.apikey, prose.de, prose.zh],
    keep: [near.prose],
  });
  const tilde = `~${g.mixed(ALNUM, 20)}`;
  out.push({syntax: 'DB_PASSWORD=~x', path: 'app/tilde.env', content: `DB_PASSWORD=${tilde}\n`, secrets: [tilde, tilde.slice(1)], keep: []});

  out.push({
    syntax: 'near misses',
    path: 'app/package-lock.json',
    content: `${JSON.stringify({name: 'app', lockfileVersion: 3, packages: {'node_modules/x': {version: '1.0.0', resolved: 'https://registry.npmjs.org/x/-/x-1.0.0.tgz', integrity: near.integrity}}, commit: near.commitSha, requestId: near.uuid, image: near.imageDigest}, null, 2)}\n`,
    secrets: [],
    keep: [near.integrity, near.commitSha, near.uuid, near.imageDigest],
  });
  out.push({
    syntax: 'near misses (text)',
    path: 'logs/usage.log',
    content: `2024-05-01T10:00:00Z INFO completion ${near.totalTokens} prompt_tokens=12\n${near.passCount}\nfail: 3\n${near.prose}\nHEAD is now at ${near.commitSha}\nrequest_id=${near.uuid}\nimage: ${near.imageDigest}\n`,
    secrets: [],
    keep: [near.totalTokens, near.passCount, near.prose, near.commitSha, near.uuid, near.imageDigest],
  });
  return out;
}

/** A short fingerprint of a secret for failure messages: the secret itself never goes to a log. */
export const fingerprint = (secret: string) => `${secret.length} chars, sha256 ${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`;
