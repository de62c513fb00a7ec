// Structured documents for bench/scrubber.js, the same in every run (a fixed seed).
//
// withSecrets(): one large document per format in which every few dozen values is a secret,
// so no document can be skipped unparsed.
// realisticMix(): per format, the files a support bundle holds: Kubernetes manifests, Helm
// values, compose files; package.json, tsconfig, appsettings, docker inspect; Cargo.toml,
// pyproject.toml, app config; pom.xml, web.config, Maven settings, log4j2; Spring and log4j
// .properties. Sizes from 1 to 60 KB; about one file in four holds a secret.

export function withSecrets() {
  const items = Array.from({length: 1200}, (_, i) => ({
    name: `svc-${i}`,
    image: `registry.example.org/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f0${String(i % 100).padStart(4, '0')}`,
    env: [{name: 'LOG_LEVEL', value: 'info'}, {name: i % 7 === 0 ? 'DB_PASSWORD' : 'REGION', value: i % 7 === 0 ? `pw${i}Xk29sLq` : 'eu-west-1'}],
    database: {host: `db-${i}.internal`, port: 5432, user: 'app', ...(i % 5 === 0 ? {password: `s3cr3t-${i}-Zq8vLk2m`} : {})},
  }));
  const json = JSON.stringify({services: items}, null, 2);
  const yaml = items.map((it) => `- name: ${it.name}\n  image: ${it.image}\n  env:\n${it.env.map((e) => `    - name: ${e.name}\n      value: "${e.value}"`).join('\n')}\n  database:\n    host: ${it.database.host}\n    port: 5432\n${it.database.password ? `    password: ${it.database.password}\n` : ''}`).join('');
  const toml = items.map((it) => `[${it.name}]\nimage = "${it.image}"\nhost = "${it.database.host}"\n${it.database.password ? `password = "${it.database.password}"\n` : ''}`).join('\n');
  const xml = `<services>\n${items.map((it) => `  <service name="${it.name}">\n    <image>${it.image}</image>\n    <entry key="db.host">${it.database.host}</entry>\n${it.database.password ? `    <entry key="db.password">${it.database.password}</entry>\n` : ''}  </service>`).join('\n')}\n</services>\n`;
  const properties = items.map((it) => `${it.name}.image=${it.image}\n${it.name}.db.host=${it.database.host}\n${it.database.password ? `${it.name}.db.password=${it.database.password}\n` : ''}`).join('');
  return {json: [['app.json', json]], yaml: [['app.yaml', yaml]], toml: [['app.toml', toml]], xml: [['app.xml', xml]], properties: [['app.properties', properties]]};
}

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function realisticMix(seed = 7) {
  const r = rng(seed);
  const int = (n) => Math.floor(r() * n);
  const pick = (items) => items[int(items.length)];
  const word = () => pick(['api', 'web', 'worker', 'billing', 'search', 'auth', 'gateway', 'cache', 'reports', 'mailer', 'sync', 'export']);
  const secret = () => `${pick(['Zq8v', 'Lk2m', 'Xk29', 'pW7r'])}${int(1e9).toString(36)}${pick(['!', '_', '-'])}${int(1e6).toString(36)}A9`;
  const version = () => `${int(5)}.${int(20)}.${int(30)}`;
  const digest = () => Array.from({length: 64}, () => '0123456789abcdef'[int(16)]).join('');
  const host = () => `${word()}-${int(40)}.svc.cluster.local`;
  const files = {json: [], yaml: [], toml: [], xml: [], properties: []};
  for (let f = 0; f < 48; f++) {
    const leak = f % 4 === 0;
    const n = 4 + int(60);

    // YAML: a stream of Kubernetes objects, Helm values, or a compose file.
    const kind = f % 3;
    if (kind === 0) {
      const docs = [];
      for (let i = 0; i < Math.max(2, n / 6); i++) {
        const app = `${word()}-${i}`;
        const env = [['LOG_LEVEL', 'info'], ['REGION', 'eu-west-1'], ['FEATURE_FLAGS', 'search,export'], ...(leak && i === 0 ? [['DB_PASSWORD', secret()]] : [])];
        docs.push(`apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${app}\n  labels:\n    app.kubernetes.io/name: ${app}\n    app.kubernetes.io/version: "${version()}"\n  annotations:\n    deployment.kubernetes.io/revision: "${int(40)}"\nspec:\n  replicas: ${1 + int(5)}\n  selector:\n    matchLabels:\n      app: ${app}\n  template:\n    metadata:\n      labels:\n        app: ${app}\n    spec:\n      containers:\n        - name: ${app}\n          image: registry.example.org/${app}@sha256:${digest()}\n          ports:\n            - containerPort: ${8000 + int(100)}\n          env:\n${env.map(([k, v]) => `            - name: ${k}\n              value: "${v}"`).join('\n')}\n          resources:\n            limits:\n              cpu: ${100 + int(900)}m\n              memory: ${128 * (1 + int(8))}Mi\n          readinessProbe:\n            httpGet:\n              path: /healthz\n              port: http\n            periodSeconds: 10\n`);
        docs.push(`apiVersion: v1\nkind: Service\nmetadata:\n  name: ${app}\nspec:\n  type: ClusterIP\n  ports:\n    - port: 80\n      targetPort: http\n  selector:\n    app: ${app}\n`);
        if (i % 3 === 1) docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}-config\ndata:\n  application.yaml: |\n    server:\n      port: 8080\n    logging:\n      level: INFO\n  retries: "${int(9)}"\n`);
      }
      if (leak) docs.push(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${word()}-secrets\ntype: Opaque\ndata:\n  password: ${Buffer.from(secret()).toString('base64')}\n`);
      files.yaml.push([`k8s/${f}.yaml`, `${docs.map((d) => `---\n${d}`).join('')}`]);
    } else if (kind === 1) {
      const sections = Array.from({length: n}, (_, i) => `${word()}${i}:\n  enabled: ${r() < 0.5}\n  replicaCount: ${1 + int(4)}\n  image:\n    repository: registry.example.org/${word()}\n    tag: "${version()}"\n    pullPolicy: IfNotPresent\n  ingress:\n    enabled: true\n    hosts:\n      - host: ${word()}.example.org\n        paths:\n          - /\n  # settings for the ${word()} component\n  config:\n    timeoutSeconds: ${int(120)}\n    url: https://${host()}/v1\n`);
      files.yaml.push([`helm/values-${f}.yaml`, `${sections.join('')}${leak ? `postgresql:\n  auth:\n    username: app\n    password: ${secret()}\n` : 'postgresql:\n  auth:\n    existingSecret: pg-credentials\n'}`]);
    } else {
      const services = Array.from({length: Math.max(2, n / 4)}, (_, i) => `  ${word()}${i}:\n    image: registry.example.org/${word()}:${version()}\n    restart: unless-stopped\n    ports:\n      - "${8000 + i}:8080"\n    environment:\n      - LOG_LEVEL=info\n      - UPSTREAM=http://${host()}:8080\n${leak && i === 0 ? `      - POSTGRES_PASSWORD=${secret()}\n` : ''}    depends_on:\n      - db\n`);
      files.yaml.push([`compose/${f}.yml`, `services:\n${services.join('')}`]);
    }

    // JSON: package.json, tsconfig-like settings, appsettings.json, docker inspect.
    const jkind = f % 4;
    if (jkind === 0) {
      const deps = Object.fromEntries(Array.from({length: n}, (_, i) => [`@${word()}/${word()}-${i}`, `^${version()}`]));
      files.json.push([`${f}/package.json`, JSON.stringify({name: `${word()}-app`, version: version(), description: 'Support tooling for the reports service', author: 'Example Team <team@example.org>', license: 'MIT', scripts: {build: 'tsc -p .', test: 'vitest run', lint: 'eslint .'}, dependencies: deps, devDependencies: {typescript: '~5.9.3', vitest: '^5.1.1'}, ...(leak ? {config: {registryToken: secret()}} : {})}, null, 2)]);
    } else if (jkind === 1) {
      files.json.push([`${f}/appsettings.json`, JSON.stringify({Logging: {LogLevel: {Default: 'Information', Microsoft: 'Warning'}}, AllowedHosts: '*', ConnectionStrings: {Default: leak ? `Server=db;Database=app;User Id=app;Password=${secret()};` : 'Server=db;Database=app;Integrated Security=true;'}, Features: Object.fromEntries(Array.from({length: n}, (_, i) => [`${word()}${i}`, {enabled: r() < 0.5, rollout: int(100), endpoint: `https://${host()}/v2`}]))}, null, 2)]);
    } else if (jkind === 2) {
      const containers = Array.from({length: Math.max(1, n / 8)}, (_, i) => ({Id: digest(), Created: '2024-05-01T10:00:00Z', Name: `/${word()}-${i}`, Config: {Image: `registry.example.org/${word()}:${version()}`, Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin', `NODE_ENV=production`, `PORT=${8000 + i}`, ...(leak && i === 0 ? [`API_TOKEN=${secret()}`] : [])], Labels: {'com.docker.compose.project': word(), 'com.docker.compose.service': word()}}, NetworkSettings: {IPAddress: `172.18.0.${2 + i}`, Gateway: '172.18.0.1'}}));
      files.json.push([`${f}/inspect.json`, JSON.stringify(containers, null, 4)]);
    } else {
      files.json.push([`${f}/tsconfig.json`, JSON.stringify({compilerOptions: {target: 'ES2022', module: 'NodeNext', strict: true, outDir: 'dist', paths: Object.fromEntries(Array.from({length: n}, (_, i) => [`@${word()}${i}/*`, [`src/${word()}/*`]]))}, include: ['src'], exclude: ['node_modules', 'dist']}, null, 2)]);
    }

    // TOML: Cargo.toml, pyproject.toml, an application's config.
    const tkind = f % 3;
    if (tkind === 0) {
      files.toml.push([`${f}/Cargo.toml`, `[package]\nname = "${word()}"\nversion = "${version()}"\nedition = "2021"\nlicense = "MIT"\n\n[dependencies]\n${Array.from({length: n}, (_, i) => (i % 3 === 0 ? `${word()}-${i} = { version = "${version()}", features = ["derive", "std"] }` : `${word()}-${i} = "${version()}"`)).join('\n')}\n${leak ? `\n[registries.internal]\nindex = "https://crates.example.org/index"\ntoken = "${secret()}"\n` : ''}`]);
    } else if (tkind === 1) {
      files.toml.push([`${f}/pyproject.toml`, `[project]\nname = "${word()}"\nversion = "${version()}"\nrequires-python = ">=3.10"\ndependencies = [\n${Array.from({length: n}, (_, i) => `  "${word()}${i}>=${version()}",`).join('\n')}\n]\n\n[tool.ruff]\nline-length = 100\n\n[tool.pytest.ini_options]\naddopts = "-q"\n${leak ? `\n[tool.poetry.http-basic.internal]\nusername = "ci"\npassword = "${secret()}"\n` : ''}`]);
    } else {
      files.toml.push([`${f}/config.toml`, `title = "${word()}"\n\n[server]\nhost = "0.0.0.0"\nport = ${8000 + int(100)}\n\n[database]\nurl = "postgres://${host()}:5432/app"\nuser = "app"\n${leak ? `password = "${secret()}"\n` : ''}pool = ${5 + int(20)}\n\n${Array.from({length: n}, (_, i) => `[jobs.${word()}${i}]\nschedule = "*/${1 + int(30)} * * * *"\nenabled = ${r() < 0.5}\ntimeout = ${int(600)}\n`).join('\n')}`]);
    }

    // XML: pom.xml, web.config, Maven settings.xml, log4j2.xml.
    const xkind = f % 4;
    if (xkind === 0) {
      files.xml.push([`${f}/pom.xml`, `<?xml version="1.0" encoding="UTF-8"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>org.example</groupId>\n  <artifactId>${word()}</artifactId>\n  <version>${version()}</version>\n  <dependencies>\n${Array.from({length: n}, (_, i) => `    <dependency>\n      <groupId>org.${word()}</groupId>\n      <artifactId>${word()}-${i}</artifactId>\n      <version>${version()}</version>\n    </dependency>`).join('\n')}\n  </dependencies>\n</project>\n`]);
    } else if (xkind === 1) {
      files.xml.push([`${f}/web.config`, `<?xml version="1.0"?>\n<configuration>\n  <appSettings>\n${Array.from({length: n}, (_, i) => `    <add key="${word()}.${word()}${i}" value="${r() < 0.5 ? 'true' : `https://${host()}/`}" />`).join('\n')}\n  </appSettings>\n  <connectionStrings>\n    <add name="Default" connectionString="${leak ? `Server=db;Database=app;User Id=app;Password=${secret()};` : 'Server=db;Database=app;Integrated Security=SSPI;'}" />\n  </connectionStrings>\n</configuration>\n`]);
    } else if (xkind === 2) {
      files.xml.push([`${f}/settings.xml`, `<settings>\n  <localRepository>/home/ci/.m2/repository</localRepository>\n  <mirrors>\n${Array.from({length: Math.max(1, n / 3)}, (_, i) => `    <mirror>\n      <id>${word()}${i}</id>\n      <url>https://${host()}/maven2</url>\n      <mirrorOf>central</mirrorOf>\n    </mirror>`).join('\n')}\n  </mirrors>\n  <servers>\n    <server>\n      <id>internal</id>\n      <username>ci</username>\n${leak ? `      <password>${secret()}</password>\n` : ''}    </server>\n  </servers>\n</settings>\n`]);
    } else {
      files.xml.push([`${f}/log4j2.xml`, `<?xml version="1.0" encoding="UTF-8"?>\n<Configuration status="WARN">\n  <Appenders>\n    <Console name="Console" target="SYSTEM_OUT">\n      <PatternLayout pattern="%d{HH:mm:ss.SSS} [%t] %-5level %logger{36} - %msg%n"/>\n    </Console>\n  </Appenders>\n  <Loggers>\n${Array.from({length: n}, (_, i) => `    <Logger name="org.example.${word()}.${word()}${i}" level="${pick(['info', 'debug', 'warn'])}" additivity="false">\n      <AppenderRef ref="Console"/>\n    </Logger>`).join('\n')}\n    <Root level="error"><AppenderRef ref="Console"/></Root>\n  </Loggers>\n</Configuration>\n`]);
    }

    // .properties: Spring application.properties, log4j.properties, messages.
    const pkind = f % 3;
    if (pkind === 0) {
      files.properties.push([`${f}/application.properties`, `spring.application.name=${word()}\nserver.port=${8000 + int(100)}\nspring.datasource.url=jdbc:postgresql://${host()}:5432/app\nspring.datasource.username=app\n${leak ? `spring.datasource.password=${secret()}\n` : ''}${Array.from({length: n}, (_, i) => `app.${word()}.${word()}${i}.timeout=${int(60)}s\napp.${word()}.${word()}${i}.url=https://${host()}/api\n`).join('')}`]);
    } else if (pkind === 1) {
      files.properties.push([`${f}/log4j.properties`, `log4j.rootLogger=INFO, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\nlog4j.appender.stdout.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stdout.layout.ConversionPattern=%d{ISO8601} %-5p [%t] %c - %m%n\n${Array.from({length: n}, (_, i) => `log4j.logger.org.example.${word()}.${word()}${i}=${pick(['DEBUG', 'INFO', 'WARN'])}\n`).join('')}${leak ? `mail.smtp.password=${secret()}\n` : ''}`]);
    } else {
      files.properties.push([`${f}/messages.properties`, `${Array.from({length: n * 2}, (_, i) => `${word()}.${word()}.label${i}=The ${word()} of the ${word()} could not be loaded. Try again in a minute.\n`).join('')}${leak ? `# for the ${word()} integration\n${word()}.api.key=${secret()}\n` : ''}`]);
    }
  }
  return files;
}
