// Maven and Gradle. Their builds compile the project, so a dependency-only variant is inserted above the
// whole copy (`mvn dependency:go-offline`, `gradle dependencies`) and the build stays where it is: the variant
// warms the dependency cache, the build still resolves whatever the variant did not.

import { cleanPath } from './context.js';
import { type Ecosystem, type Env, type InstallCommand, Refuse, localProgram, optional, optionalDir, requireLiteral, toolOf, type VariantWord } from './types.js';

// --- Maven -----------------------------------------------------------------------------------------

/** Options carried onto the variant (they change how or where dependencies resolve); value options take the next word. */
const MVN_CARRY = new Set(['-B', '--batch-mode', '-q', '--quiet', '-e', '--errors', '-X', '--debug', '-U', '--update-snapshots', '-ntp', '--no-transfer-progress', '-V', '--show-version', '-C', '--strict-checksums', '-c', '--lax-checksums']);
const MVN_CARRY_VALUE = new Set(['-s', '--settings', '-gs', '--global-settings', '-P', '--activate-profiles', '-T', '--threads']);
const MVN_DROP = new Set(['-fae', '--fail-at-end', '-ff', '--fail-fast', '-fn', '--fail-never']);
const GO_OFFLINE = new Set(['dependency:go-offline', 'dependency:resolve', 'dependency:resolve-plugins']);

function isMaven(cmd: InstallCommand): boolean {
  const t = toolOf(cmd);
  return t === 'mvn' || (t === 'mvnw' && localProgram(cmd) === 'mvnw');
}

export const maven: Ecosystem = {
  name: 'Maven',
  primary: ['pom.xml'],
  hint: /\b(mvn|mvnw)\b/,
  identify(cmd) {
    return isMaven(cmd) && cmd.argv.slice(1).some((a) => a !== undefined && !a.startsWith('-'));
  },
  plan(cmd, env) {
    const argv = requireLiteral(cmd, 'mvn');
    const files = [env.ctx.require('pom.xml')];
    const carried: VariantWord[] = [];
    const goals: string[] = [];
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i]!;
      const w = cmd.words[i]!;
      if (!a.startsWith('-')) {
        goals.push(a);
        continue;
      }
      if (a.startsWith('-D')) {
        const prop = a === '-D' ? argv[++i] : a.slice(2);
        if (prop === undefined) throw new Refuse('mvn -D needs a value');
        const local = /^maven\.repo\.local=(.*)$/.exec(prop)?.[1];
        if (local !== undefined && env.inProject(local) !== undefined) env.ctx.checkOutputs([env.inProject(local)! + '/'], 'mvn');
        carried.push(w);
        if (a === '-D') carried.push(cmd.words[i]!);
        continue;
      }
      if (MVN_CARRY.has(a)) {
        carried.push(w);
        continue;
      }
      if (MVN_DROP.has(a)) continue;
      // Profiles and threads with the value attached: `-Pprod,docker`, `-T1C`.
      if (/^-[PT][^-\s]/.test(a)) {
        carried.push(w);
        continue;
      }
      const eq = a.indexOf('=');
      const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
      if (MVN_CARRY_VALUE.has(name) || ['-f', '--file'].includes(name)) {
        const inline = name !== a;
        const value = inline ? a.slice(eq + 1) : argv[i + 1];
        if (value === undefined) throw new Refuse(`mvn ${a} needs a value`);
        if (name === '-f' || name === '--file') {
          if (cleanPath(value) !== 'pom.xml') throw new Refuse(`mvn ${a} ${value} builds another POM`);
        } else if (['-s', '--settings', '-gs', '--global-settings'].includes(name)) {
          const rel = env.inProject(value);
          if (rel !== undefined) files.push(env.ctx.require(rel));
        }
        carried.push(w);
        if (!inline) carried.push(cmd.words[++i]!);
        continue;
      }
      if (a === '-o' || a === '--offline') throw new Refuse('mvn --offline builds without the network, so its dependencies come from elsewhere');
      throw new Refuse(`mvn option ${a} is not one this transform knows to be safe`);
    }
    const pom = env.ctx.read('pom.xml') ?? '';
    if (/<modules>/.test(pom)) throw new Refuse('pom.xml is a multi-module build; dependency:go-offline cannot resolve the reactor modules before they are built');
    const rel = /<relativePath>\s*([^<\s]+)\s*<\/relativePath>/.exec(pom)?.[1];
    if (rel !== undefined && !cleanPath(rel).startsWith('..')) throw new Refuse(`pom.xml's parent is ${rel}, inside the project`);
    if (/<systemPath>/.test(pom)) throw new Refuse('pom.xml has a system-scoped dependency with a <systemPath> in the project');
    if (/<url>\s*file:/.test(pom)) throw new Refuse('pom.xml uses a file: repository');
    const dirs: string[] = [];
    optionalDir(env, dirs, '.mvn');
    // .mvn/maven.config adds options to every mvn run, the warm-up's too: a settings file it names must be there.
    const config = (env.ctx.read('.mvn/maven.config') ?? '').split(/\s+/).filter(Boolean);
    for (let i = 0; i < config.length; i++) {
      const opt = config[i]!;
      const m = /^(-s|--settings|-gs|--global-settings|-f|--file|-t|--toolchains)(?:=(.*))?$/.exec(opt) ?? /^(-s|-f)(.+)$/.exec(opt);
      if (!m) continue;
      const value = m[2] ?? config[++i];
      if (value === undefined || value.includes('$')) throw new Refuse(`.mvn/maven.config has ${opt} with a value this transform cannot resolve`);
      if (m[1] === '-f' || m[1] === '--file') {
        if (cleanPath(value) !== 'pom.xml') throw new Refuse(`.mvn/maven.config builds another POM (${opt} ${value})`);
        continue;
      }
      // Relative paths in maven.config resolve against the project directory (where .mvn is).
      const rel = env.inProject(value);
      if (rel !== undefined && !rel.startsWith('.mvn/') && !files.includes(rel)) files.push(env.ctx.require(rel));
    }
    const program = localProgram(cmd);
    if (program) files.push(env.ctx.require(program));
    if (goals.every((g) => GO_OFFLINE.has(g))) return { ecosystem: 'Maven', mode: 'move', files, dirs };
    return { ecosystem: 'Maven', mode: 'variant', variant: [cmd.words[0]!, ...carried, 'dependency:go-offline'], files, dirs };
  },
};

// --- Gradle ----------------------------------------------------------------------------------------

const GRADLE_CARRY = new Set(['--no-daemon', '--daemon', '-q', '--quiet', '-i', '--info', '-d', '--debug', '-w', '--warn', '-s', '--stacktrace', '-S', '--full-stacktrace', '--build-cache', '--no-build-cache', '--parallel', '--no-parallel', '--refresh-dependencies', '--no-configuration-cache', '--configuration-cache', '--scan', '--no-scan', '--no-watch-fs']);
const GRADLE_CARRY_VALUE = new Set(['--console', '--warning-mode', '-g', '--gradle-user-home', '--max-workers']);
const GRADLE_DROP = new Set(['--continue']);
const GRADLE_DROP_VALUE = new Set(['-x', '--exclude-task']);
const SCRIPTS = ['settings.gradle', 'settings.gradle.kts', 'build.gradle', 'build.gradle.kts'];

function isGradle(cmd: InstallCommand): boolean {
  const t = toolOf(cmd);
  return t === 'gradle' || (t === 'gradlew' && localProgram(cmd) === 'gradlew');
}

function checkScripts(env: Env, files: string[]): void {
  for (const f of SCRIPTS) {
    const text = env.ctx.read(f);
    if (text === undefined) continue;
    files.push(f);
    const code = text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
    if (/^\s*(include|includeFlat|includeBuild)\b/m.test(code) || /\binclude\s*\(/.test(code)) throw new Refuse(`${f} includes other projects or builds; their build files are not copied first`);
    const apply = /apply\s*\(?\s*from\s*[:=]\s*["']([^"']+)["']/.exec(code);
    if (apply && !cleanPath(apply[1]!).startsWith('gradle/')) throw new Refuse(`${f} applies ${apply[1]}, which is not copied first`);
    const reads = /\b(file|files|fileTree|zipTree|tarTree)\s*\(|\bnew\s+File\s*\(|\bProperties\s*\(\s*\)|\.text\b|\b(rootDir|projectDir|layout\.projectDirectory|fileContents|Files\.|Paths\.)/.exec(code);
    if (reads) throw new Refuse(`${f} reads project files ("${reads[0]}"), which are not copied first`);
  }
}

export const gradle: Ecosystem = {
  name: 'Gradle',
  primary: ['build.gradle', 'build.gradle.kts', 'settings.gradle', 'settings.gradle.kts'],
  hint: /\b(gradle|gradlew)\b/,
  identify(cmd) {
    return isGradle(cmd) && cmd.argv.slice(1).some((a) => a !== undefined && !a.startsWith('-'));
  },
  plan(cmd, env) {
    const argv = requireLiteral(cmd, 'gradle');
    const carried: VariantWord[] = [];
    const tasks: string[] = [];
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i]!;
      const w = cmd.words[i]!;
      if (!a.startsWith('-')) {
        tasks.push(a);
        continue;
      }
      if (/^-[PD]./.test(a)) {
        carried.push(w);
        continue;
      }
      if (GRADLE_CARRY.has(a)) {
        carried.push(w);
        continue;
      }
      if (GRADLE_DROP.has(a)) continue;
      const eq = a.indexOf('=');
      const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
      const inline = name !== a;
      if (GRADLE_CARRY_VALUE.has(name) || GRADLE_DROP_VALUE.has(name)) {
        if (!inline && argv[i + 1] === undefined) throw new Refuse(`gradle ${a} needs a value`);
        const value = inline ? a.slice(eq + 1) : argv[i + 1]!;
        if ((name === '-g' || name === '--gradle-user-home') && env.inProject(value) !== undefined) throw new Refuse(`gradle ${name} ${value} is inside the project`);
        if (GRADLE_CARRY_VALUE.has(name)) {
          carried.push(w);
          if (!inline) carried.push(cmd.words[i + 1]!);
        }
        if (!inline) i++;
        continue;
      }
      if (a === '--offline') throw new Refuse('gradle --offline builds without the network, so its dependencies come from elsewhere');
      throw new Refuse(`gradle option ${a} is not one this transform knows to be safe`);
    }
    if (env.ctx.filesUnder('buildSrc').length) throw new Refuse('buildSrc/ holds build logic that must be compiled from the sources');
    const files: string[] = [];
    checkScripts(env, files);
    if (!files.some((f) => f.startsWith('build.'))) throw new Refuse('no build.gradle or build.gradle.kts in the build context');
    optional(env, files, 'gradle.properties');
    const dirs: string[] = [];
    optionalDir(env, dirs, 'gradle');
    const program = localProgram(cmd);
    if (program) {
      files.unshift(env.ctx.require(program));
      env.ctx.require('gradle/wrapper/gradle-wrapper.properties');
    }
    env.ctx.checkOutputs(['.gradle/'], 'gradle');
    if (tasks.every((t) => t === 'dependencies')) return { ecosystem: 'Gradle', mode: 'move', files, dirs };
    return { ecosystem: 'Gradle', mode: 'variant', variant: [cmd.words[0]!, ...carried, 'dependencies'], files, dirs };
  },
};

export const JVM: Ecosystem[] = [maven, gradle];
