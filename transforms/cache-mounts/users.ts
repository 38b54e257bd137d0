// Who runs a RUN instruction: root, or a user whose uid (and so the owner a cache mount needs) and home
// directory (where per-user caches live) are known from the Dockerfile — `USER`, accounts created with
// useradd/adduser/groupadd/addgroup in earlier RUNs of the stage chain, users that official images create —
// or unknown, with the reason. A user-level cache mount for a non-root user must carry its uid: BuildKit
// creates the cache directory owned by root, and pip, npm and friends could not write to it.

import { expandVars } from '../../src/dockerfile/env.js';
import { imageRunsAsRoot, imageUser } from './managers.js';

/** A command that creates an account (`useradd -u 1000 -m app`), as literal words (undefined: expands). */
export interface AccountCommand {
  argv: (string | undefined)[];
  /** Index of the program word. */
  at: number;
  prog: string;
}

interface Account {
  uid?: number;
  gid?: number;
  /** Primary group name, to look up its gid. */
  group?: string;
  home?: string;
}

export interface Accounts {
  users: Map<string, Account>;
  groups: Map<string, number | undefined>;
}

export type RunUser =
  | { kind: 'root'; home: string }
  | { kind: 'user'; label: string; uid: number; gid?: number; home?: string }
  | { kind: 'unknown'; reason: string };

const num = (s: string | undefined): number | undefined => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

/** Short options as separate words: `-ms /bin/bash` → `-m -s /bin/bash`, `-u1000` → `-u 1000`. */
function splitShort(words: (string | undefined)[], valued: Set<string>): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  for (const w of words) {
    if (w === undefined || !/^-[A-Za-z]{2,}/.test(w) || w.startsWith('--')) {
      out.push(w);
      continue;
    }
    for (let k = 1; k < w.length; k++) {
      const f = `-${w[k]}`;
      out.push(f);
      if (valued.has(f)) {
        if (k + 1 < w.length) out.push(w.slice(k + 1));
        break;
      }
    }
  }
  return out;
}

interface Parsed {
  opts: Map<string, string | undefined>;
  operands: (string | undefined)[];
}

function parseOptions(words: (string | undefined)[], valued: Set<string>, aliases: Record<string, string>): Parsed {
  const opts = new Map<string, string | undefined>();
  const operands: (string | undefined)[] = [];
  const list = splitShort(words, valued);
  for (let i = 0; i < list.length; i++) {
    const w = list[i];
    if (w === undefined || !w.startsWith('-') || w === '-') {
      operands.push(w);
      continue;
    }
    const eq = w.indexOf('=');
    const name = aliases[eq > 0 ? w.slice(0, eq) : w] ?? (eq > 0 ? w.slice(0, eq) : w);
    if (eq > 0) opts.set(name, w.slice(eq + 1));
    else if (valued.has(w) || valued.has(name)) opts.set(name, list[++i]);
    else opts.set(name, '');
  }
  return { opts, operands };
}

const USERADD_VALUED = new Set(['-u', '-g', '-d', '-b', '-s', '-c', '-G', '-k', '-K', '-e', '-f', '-p', '-Z', '-R', '-P', '--uid', '--gid', '--home-dir', '--home', '--base-dir', '--shell', '--comment', '--groups', '--skel', '--key', '--expiredate', '--inactive', '--password', '--selinux-user', '--root', '--prefix']);
const USERADD_ALIASES: Record<string, string> = { '--uid': '-u', '--gid': '-g', '--home-dir': '-d', '--home': '-d', '--base-dir': '-b', '--system': '-r', '--create-home': '-m', '--no-create-home': '-M' };
const DEB_ADDUSER_VALUED = new Set(['--uid', '--gid', '--home', '--shell', '--gecos', '--comment', '--ingroup', '--firstuid', '--lastuid', '--firstgid', '--lastgid', '--conf', '--add-extra-groups', '--extrausers']);
const BB_ADDUSER_VALUED = new Set(['-h', '-g', '-s', '-G', '-u', '-k']);
const GROUPADD_VALUED = new Set(['-g', '--gid', '-K', '--key', '-p', '--password', '-R', '--root', '-P', '--prefix']);

/** Reads the accounts that `commands` create, in order (later definitions win). */
export function readAccounts(commands: AccountCommand[]): Accounts {
  const users = new Map<string, Account>();
  const groups = new Map<string, number | undefined>();
  for (const c of commands) {
    const rest = c.argv.slice(c.at + 1);
    if (c.prog === 'useradd') {
      const p = parseOptions(rest, USERADD_VALUED, USERADD_ALIASES);
      if (p.opts.has('-D')) continue;
      const login = p.operands[p.operands.length - 1];
      if (login === undefined) continue;
      const acc: Account = {};
      const uid = num(p.opts.get('-u'));
      if (uid !== undefined) acc.uid = uid;
      const g = p.opts.get('-g');
      if (num(g) !== undefined) acc.gid = num(g)!;
      else if (g !== undefined && g !== '') acc.group = g;
      const home = p.opts.get('-d');
      const base = p.opts.get('-b') ?? '/home';
      if (home !== undefined) {
        if (home.startsWith('/')) acc.home = home;
      } else if (base.startsWith('/')) acc.home = `${base.replace(/\/$/, '')}/${login}`;
      users.set(login, acc);
    } else if (c.prog === 'adduser') {
      const debian = rest.some((w) => w?.startsWith('--'));
      const p = debian ? parseOptions(rest, DEB_ADDUSER_VALUED, {}) : parseOptions(rest, BB_ADDUSER_VALUED, {});
      const [login, group] = p.operands;
      if (login === undefined) continue;
      if (debian && p.operands.length >= 2) continue; // Debian `adduser USER GROUP` adds an existing user to a group
      const acc: Account = {};
      const uid = num(p.opts.get(debian ? '--uid' : '-u'));
      if (uid !== undefined) acc.uid = uid;
      const gid = num(p.opts.get('--gid'));
      if (gid !== undefined) acc.gid = gid;
      const grp = debian ? p.opts.get('--ingroup') : (p.opts.get('-G') ?? group);
      if (grp !== undefined && grp !== '') acc.group = grp;
      const home = p.opts.get(debian ? '--home' : '-h');
      if (home !== undefined) {
        if (home.startsWith('/')) acc.home = home;
      } else if (!(debian && p.opts.has('--system'))) acc.home = `/home/${login}`; // Debian system users get /nonexistent
      users.set(login, acc);
    } else if (c.prog === 'groupadd' || c.prog === 'addgroup') {
      const debian = c.prog === 'addgroup' && rest.some((w) => w?.startsWith('--'));
      const p = parseOptions(rest, c.prog === 'groupadd' || debian ? GROUPADD_VALUED : new Set(['-g']), { '--gid': '-g' });
      const name = p.operands[p.operands.length - 1];
      if (name === undefined || p.operands.length > 1) continue; // busybox `addgroup user group` adds a user to a group
      groups.set(name, num(p.opts.get('-g')));
    }
  }
  return { users, groups };
}

export interface UserQuery {
  /** USER in effect, as written (may hold variables); undefined = the base image's user. */
  user?: string;
  vars: Map<string, string>;
  /** The image the stage chain starts from; undefined for scratch or a base chosen by a build argument. */
  rootImage?: string;
  /** The chain starts from scratch. */
  scratch?: boolean;
  accounts: Accounts;
  /** A command that needs root ran earlier in the chain without sudo (so the base image's user is root). */
  provenRoot?: boolean;
}

function homeFromEnv(vars: Map<string, string>): string | undefined | null {
  if (!vars.has('HOME')) return undefined;
  const h = expandVars(vars.get('HOME')!, vars);
  return h !== undefined && h.startsWith('/') ? h : null;
}

/** Who runs the step, as far as the Dockerfile tells. */
export function runUser(q: UserQuery): RunUser {
  const envHome = homeFromEnv(q.vars);
  if (envHome === null) return { kind: 'unknown', reason: 'HOME is set to something that is not a known absolute path' };
  if (q.user === undefined) {
    if (q.scratch || (q.rootImage !== undefined && imageRunsAsRoot(q.rootImage)) || q.provenRoot) return { kind: 'root', home: envHome ?? '/root' };
    if (q.rootImage === undefined) return { kind: 'unknown', reason: 'the base image is chosen by a build argument, so its user is not known' };
    return { kind: 'unknown', reason: `the base image ${q.rootImage} may run as a user of its own (it is not an image known to default to root; a USER instruction would tell)` };
  }
  const expanded = expandVars(q.user, q.vars);
  if (expanded === undefined) return { kind: 'unknown', reason: `USER ${q.user} uses variables whose values are not known here` };
  const [name = '', group] = expanded.split(':');
  if (name === 'root' || name === '0') return { kind: 'root', home: envHome ?? '/root' };
  const acc = q.accounts.users.get(name);
  const img = q.rootImage !== undefined ? imageUser(q.rootImage, name) : undefined;
  const uid = num(name) ?? acc?.uid ?? img?.uid;
  if (uid === undefined) {
    const known = acc ? 'it is created without a fixed uid: useradd -u, adduser -u or --uid' : 'it is not created in this Dockerfile';
    return { kind: 'unknown', reason: `a mount it can write needs the uid of USER ${name}, which is not known (${known})` };
  }
  if (uid === 0) return { kind: 'root', home: envHome ?? '/root' };
  let gid: number | undefined;
  if (group !== undefined) gid = num(group) ?? q.accounts.groups.get(group) ?? undefined;
  else gid = acc?.gid ?? (acc?.group !== undefined ? q.accounts.groups.get(acc.group) : undefined) ?? img?.gid;
  let home = envHome ?? acc?.home ?? img?.home;
  if (home === undefined && num(name) !== undefined) {
    for (const a of q.accounts.users.values()) if (a.uid === uid && a.home) home = a.home;
  }
  const out: RunUser = { kind: 'user', label: name, uid };
  if (gid !== undefined) out.gid = gid;
  if (home !== undefined) out.home = home;
  return out;
}
