import {generateKeyPairSync} from 'node:crypto';

import {seededRng, type Rng} from './generator.js';

/**
 * Fresh random secrets of every shape the scrubber must catch, written into the file
 * syntaxes customers send. Each run makes new values, so no test can pass by remembering
 * a fixed string.
 */

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = `${ALNUM}+/`;
const URLSAFE = `${ALNUM}_-`;
const PASSWORD_CHARS = `${ALNUM}!*-_.~+`;

let rng: Rng = seededRng(1);
/** Every value below comes from this seed (the keys' PEM bodies aside, which are scrubbed by their markers). */
export function useSeed(seed: number): void {
  rng = seededRng(seed);
}
const randomInt = (min: number, max?: number) => (max === undefined ? Math.floor(rng() * min) : min + Math.floor(rng() * (max - min)));
const randomBytes = (n: number) => Buffer.from(Array.from({length: n}, () => randomInt(256)));
const randomUUID = () => {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
};

function pick(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Random, with at least one upper, lower and digit, so shape rules see a realistic value. */
function mixed(alphabet: string, length: number): string {
  for (;;) {
    const value = pick(alphabet, length);
    if (/[A-Z]/.test(value) && /[a-z]/.test(value) && /[0-9]/.test(value)) return value;
  }
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export interface Secrets {
  awsKeyId: string;
  awsSecret: string;
  awsKeyId2: string;
  awsSecret2: string;
  ghp: string;
  gho: string;
  ghu: string;
  ghs: string;
  ghr: string;
  githubPat: string;
  gitlab: string;
  slackBot: string;
  slackUser: string;
  slackWebhook: string;
  stripeLive: string;
  stripeRestricted: string;
  googleApiKey: string;
  npmToken: string;
  jwt: string;
  rsaPem: string;
  pkcs8Pem: string;
  ecPem: string;
  zendeskToken: string;
  atlassianToken: string;
  jiraLegacyToken: string;
  freshdeskKey: string;
  dbPassword: string;
  iniPassword: string;
  yamlPassword: string;
  yamlBlockSecret: string;
  envSecret: string;
  clientSecret: string;
  sessionKey: string;
  signingKey: string;
  licenseKey: string;
  bearer: string;
  /** A user name: shown in the bundle, not a secret. */
  basicUser: string;
  basicPassword: string;
  cookieValue: string;
  setCookieValue: string;
  xApiKey: string;
  xAuthToken: string;
  urlPassword: string;
  queryToken: string;
  querySignature: string;
  mysqlPassword: string;
  dockerPassword: string;
  curlPassword: string;
  xmlPassword: string;
  xmlApiKey: string;
  connectionPassword: string;
  propertiesPassword: string;
  logPassword: string;
  flagToken: string;
  awsCliSecret: string;
  pin: string;
}

export function generateSecrets(): Secrets {
  const rsa = generateKeyPairSync('rsa', {modulusLength: 1024});
  const ec = generateKeyPairSync('ec', {namedCurve: 'P-256'});
  const jwtPayload = {sub: pick(ALNUM, 12), iat: Math.floor(Date.now() / 1000), nonce: pick(ALNUM, 16)};
  return {
    awsKeyId: `AKIA${pick(UPPER_DIGITS, 16)}`,
    awsSecret: mixed(BASE64, 40),
    awsKeyId2: `ASIA${pick(UPPER_DIGITS, 16)}`,
    awsSecret2: mixed(BASE64, 40),
    ghp: `ghp_${mixed(ALNUM, 36)}`,
    gho: `gho_${mixed(ALNUM, 36)}`,
    ghu: `ghu_${mixed(ALNUM, 36)}`,
    ghs: `ghs_${mixed(ALNUM, 36)}`,
    ghr: `ghr_${mixed(ALNUM, 36)}`,
    githubPat: `github_pat_${mixed(ALNUM, 22)}_${mixed(ALNUM, 59)}`,
    gitlab: `glpat-${mixed(ALNUM, 20)}`,
    slackBot: `xoxb-${pick('0123456789', 12)}-${pick('0123456789', 13)}-${mixed(ALNUM, 24)}`,
    slackUser: `xoxp-${pick('0123456789', 12)}-${pick('0123456789', 12)}-${pick('0123456789', 13)}-${pick('abcdef0123456789', 32)}`,
    slackWebhook: `https://hooks.slack.com/services/T${pick(UPPER_DIGITS, 8)}/B${pick(UPPER_DIGITS, 10)}/${mixed(ALNUM, 24)}`,
    stripeLive: `sk_live_${mixed(ALNUM, 24)}`,
    stripeRestricted: `rk_live_${mixed(ALNUM, 24)}`,
    googleApiKey: `AIza${mixed(URLSAFE, 35)}`,
    npmToken: `npm_${mixed(ALNUM, 36)}`,
    jwt: `${b64url(JSON.stringify({alg: 'HS256', typ: 'JWT'}))}.${b64url(JSON.stringify(jwtPayload))}.${b64url(randomBytes(32))}`,
    rsaPem: rsa.privateKey.export({type: 'pkcs1', format: 'pem'}).toString(),
    pkcs8Pem: rsa.privateKey.export({type: 'pkcs8', format: 'pem'}).toString(),
    ecPem: ec.privateKey.export({type: 'sec1', format: 'pem'}).toString(),
    zendeskToken: mixed(ALNUM, 40),
    atlassianToken: `ATATT3xFfGF0${mixed(URLSAFE, 170)}=${pick('0123456789ABCDEF', 8)}`,
    jiraLegacyToken: mixed(ALNUM, 24),
    freshdeskKey: mixed(ALNUM, 20),
    dbPassword: mixed(PASSWORD_CHARS, 18),
    iniPassword: mixed(PASSWORD_CHARS, 16),
    yamlPassword: mixed(ALNUM, 20),
    yamlBlockSecret: mixed(ALNUM, 30),
    envSecret: mixed(PASSWORD_CHARS, 24),
    clientSecret: mixed(URLSAFE, 32),
    sessionKey: mixed(ALNUM, 32),
    signingKey: mixed(BASE64, 44),
    licenseKey: mixed(ALNUM, 32),
    bearer: mixed(URLSAFE, 40),
    basicUser: `user${pick('0123456789', 4)}`,
    basicPassword: mixed(ALNUM, 16),
    cookieValue: mixed(ALNUM, 32),
    setCookieValue: mixed(ALNUM, 32),
    xApiKey: mixed(ALNUM, 32),
    xAuthToken: mixed(URLSAFE, 36),
    urlPassword: mixed(ALNUM, 18),
    queryToken: mixed(URLSAFE, 30),
    querySignature: pick('abcdef0123456789', 64),
    mysqlPassword: mixed(ALNUM, 14),
    dockerPassword: mixed(ALNUM, 20),
    curlPassword: mixed(ALNUM, 15),
    xmlPassword: mixed(PASSWORD_CHARS, 17),
    xmlApiKey: mixed(ALNUM, 28),
    connectionPassword: mixed(ALNUM, 19),
    propertiesPassword: mixed(PASSWORD_CHARS, 15),
    logPassword: mixed(ALNUM, 13),
    flagToken: mixed(ALNUM, 26),
    awsCliSecret: mixed(BASE64, 40),
    pin: String(randomInt(100000, 999999)),
  };
}

/** Identifiers that look random but are not secrets: they must reach support unchanged. */
export interface NearMisses {
  placeholderShort: string;
  placeholderLong: string;
  containerId: string;
  commitSha: string;
  uuid: string;
  checksum: string;
}

export function generateNearMisses(): NearMisses {
  return {
    placeholderShort: 'ghp_xxxx',
    placeholderLong: `ghp_${'x'.repeat(36)}`,
    containerId: randomBytes(32).toString('hex'),
    commitSha: randomBytes(20).toString('hex'),
    uuid: randomUUID(),
    checksum: randomBytes(32).toString('hex'),
  };
}

const indent = (text: string, by: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => by + line)
    .join('\n');

/** File name -> content, in eleven syntaxes. */
export function renderCorpus(s: Secrets, near: NearMisses): Record<string, string> {
  const basic = Buffer.from(`${s.basicUser}:${s.basicPassword}`).toString('base64');
  return {
    'config.json': `${JSON.stringify(
      {
        database: {host: 'db.internal', user: 'app', password: s.dbPassword, pin: Number(s.pin)},
        aws: {accessKeyId: s.awsKeyId, secretAccessKey: s.awsSecret},
        github: {token: s.ghp, oauth: s.gho},
        type: 'service_account',
        private_key_id: near.commitSha,
        private_key: s.pkcs8Pem,
        headers: {Authorization: `Bearer ${s.jwt}`, 'X-Api-Key': s.xApiKey},
        stripe: {secretKey: s.stripeLive},
        integrations: [s.slackWebhook, s.googleApiKey],
        build: {commit: near.commitSha, container: near.containerId, requestId: near.uuid},
      },
      null,
      2,
    )}\n`,
    'settings.yaml': [
      'database:',
      '  host: db.internal',
      `  password: "${s.yamlPassword}"`,
      'tls:',
      '  private_key: |',
      indent(s.rsaPem, '    '),
      '  ca_cert: |',
      '    not-a-secret-line',
      'oauth:',
      '  client_secret: >-',
      `    ${s.yamlBlockSecret}`,
      `  refresh: ${s.ghu}`,
      `auth: {user: bob, token: ${s.gitlab}}`,
      'services:',
      `  - name: slack`,
      `    webhook: ${s.slackWebhook}`,
      `  - name: npm`,
      `    npm_token: ${s.npmToken}`,
      'environment:',
      `  - POSTGRES_PASSWORD=${s.envSecret}`,
      `  - SESSION_KEY=${s.sessionKey}`,
      `build: {commit: ${near.commitSha}, image: "sha256:${near.checksum}"}`,
      '',
    ].join('\n'),
    'settings.ini': [
      '[database]',
      'host = db.internal',
      `password = ${s.iniPassword}`,
      '',
      '[default]',
      `aws_access_key_id = ${s.awsKeyId2}`,
      `aws_secret_access_key = ${s.awsSecret2}`,
      '',
      '[zendesk]',
      'subdomain = acme',
      `api_token = ${s.zendeskToken}`,
      '',
      '[signing]',
      `signing_key = ${s.signingKey}`,
      `license_key = ${s.licenseKey}`,
      '',
    ].join('\n'),
    '.env': [
      `export GITHUB_TOKEN=${s.ghs}`,
      `ZENDESK_API_TOKEN=${s.zendeskToken}`,
      `JIRA_API_TOKEN=${s.atlassianToken}`,
      `CONFLUENCE_API_TOKEN="${s.jiraLegacyToken}"`,
      `FRESHDESK_API_KEY='${s.freshdeskKey}'`,
      `STRIPE_RESTRICTED_KEY=${s.stripeRestricted}`,
      `GOOGLE_API_KEY=${s.googleApiKey}`,
      `NPM_TOKEN=${s.npmToken}`,
      `CLIENT_SECRET=${s.clientSecret} # rotated monthly`,
      `DATABASE_URL=postgres://app:${s.urlPassword}@db.internal:5432/app`,
      `SLACK_BOT_TOKEN=${s.slackBot}`,
      `GH_RELEASE_TOKEN=${s.ghr}`,
      `GIT_COMMIT=${near.commitSha}`,
      `PLACEHOLDER_TOKEN=${near.placeholderShort}`,
      '',
    ].join('\n'),
    '.bash_history': [
      `export GH_TOKEN=${s.githubPat}`,
      `mysql -h db.internal -u root -p${s.mysqlPassword} app`,
      `docker login -u deploy -p ${s.dockerPassword} registry.internal`,
      `git clone https://deploy:${s.urlPassword}@git.internal/team/app.git`,
      `aws configure set aws_secret_access_key ${s.awsCliSecret}`,
      `mycli --api-token ${s.flagToken} --verbose`,
      `docker inspect ${near.containerId}`,
      `git show ${near.commitSha}`,
      '',
    ].join('\n'),
    'curl.sh': [
      `curl -sS -H 'Authorization: Bearer ${s.bearer}' https://api.internal/v1/me`,
      `curl -u ${s.basicUser}:${s.curlPassword} https://api.internal/v1/tickets`,
      `curl -H "X-Auth-Token: ${s.xAuthToken}" -H "Cookie: session=${s.cookieValue}; theme=dark" "https://api.internal/v1/x?access_token=${s.queryToken}&page=2"`,
      `curl --oauth2-bearer ${s.slackUser} https://slack.com/api/auth.test`,
      `curl -d 'grant_type=client_credentials&client_secret=${s.clientSecret}' https://auth.internal/token`,
      '',
    ].join('\n'),
    'request.http': [
      `POST /api/v2/tickets.json?api_key=${s.xApiKey} HTTP/1.1`,
      'Host: acme.zendesk.com',
      `Authorization: Basic ${basic}`,
      `Cookie: _session_id=${s.cookieValue}; locale=en`,
      `X-Amz-Security-Token: ${s.xAuthToken}`,
      'Content-Type: application/json',
      '',
      `{"ticket": {"subject": "Help", "password": "${s.dbPassword}"}}`,
      '',
      'HTTP/1.1 201 Created',
      `Set-Cookie: sid=${s.setCookieValue}; Path=/; HttpOnly; Secure`,
      `X-Request-Id: ${near.uuid}`,
      '',
    ].join('\n'),
    'urls.txt': [
      `https://${s.basicUser}:${s.urlPassword}@internal.example.org/path`,
      `https://storage.example.org/b/o?X-Amz-Credential=${s.awsKeyId}%2F20240101&X-Amz-Signature=${s.querySignature}&X-Amz-Expires=300`,
      `https://api.example.org/v1/data?token=${s.queryToken}&format=json`,
      `https://maps.example.org/api?key=${s.googleApiKey}`,
      s.slackWebhook,
      `https://ci.example.org/build/${near.commitSha}`,
      '',
    ].join('\n'),
    'app.config': [
      '<?xml version="1.0" encoding="utf-8"?>',
      '<configuration>',
      '  <appSettings>',
      `    <add key="ApiKey" value="${s.xmlApiKey}" />`,
      `    <add key="StripeKey" value="${s.stripeLive}" />`,
      '    <add key="Environment" value="production" />',
      '  </appSettings>',
      '  <connectionStrings>',
      `    <add name="db" connectionString="Server=db;User Id=app;Password=${s.connectionPassword};" />`,
      '  </connectionStrings>',
      `  <smtp user="mailer" password="${s.xmlPassword}" />`,
      `  <password>${s.xmlPassword}</password>`,
      `  <build commit="${near.commitSha}" />`,
      '</configuration>',
      '',
    ].join('\n'),
    'application.properties': [
      'spring.datasource.url=jdbc:postgresql://db.internal/app',
      `spring.datasource.password=${s.propertiesPassword}`,
      `jwt.secret: ${s.signingKey}`,
      `github.token ${s.gho}`,
      '',
    ].join('\n'),
    'app.log': [
      `2024-05-01T10:00:00Z INFO starting worker commit=${near.commitSha} container=${near.containerId}`,
      `2024-05-01T10:00:01Z DEBUG using token ${s.ghp} for api.github.com`,
      `2024-05-01T10:00:02Z DEBUG request headers: Authorization: Bearer ${s.jwt}`,
      `2024-05-01T10:00:03Z WARN login failed for bob password=${s.logPassword} attempts=3`,
      `2024-05-01T10:00:04Z INFO {"level":"info","msg":"configured","apiKey":"${s.xApiKey}","requestId":"${near.uuid}"}`,
      `2024-05-01T10:00:05Z ERROR aws credentials ${s.awsKeyId},${s.awsSecret} rejected`,
      `2024-05-01T10:00:06Z DEBUG loaded key:`,
      s.ecPem.trimEnd(),
      `2024-05-01T10:00:07Z INFO posting to ${s.slackWebhook}`,
      `2024-05-01T10:00:08Z INFO charge via ${s.stripeLive}`,
      `2024-05-01T10:00:09Z INFO placeholder ${near.placeholderShort} kept`,
      '',
    ].join('\n'),
  };
}
