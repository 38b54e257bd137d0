// Where a shell script gives its own variables a value: one walk of the syntax tree, shared by the transforms
// that follow variables through a RUN. Each reads the sites its own way (all values a name may hold, or values in
// source order with their scope); what they have in common is finding the sites.

import type { ShellNode } from './bash.js';

export type VariableSite =
  /** `X=1` on its own (not a command's prefix), or inside `export`/`local`/`declare`/`readonly`/`typeset`. */
  | { kind: 'assign'; name: string; raw: string; start: number; top: boolean; declaredBy?: string }
  /** A name without a value in a declaration: `export X`, `local X`. */
  | { kind: 'declare'; name: string; start: number; top: boolean; declaredBy?: string }
  /** `for X in a b; do` (values as written; none for `for X; do`). */
  | { kind: 'for'; name: string; start: number; values: string[] };

// Constructs that do not scope or condition what runs inside them.
const TOP = new Set(['program', 'list', 'declaration_command', 'redirected_statement']);

/** True when nothing around the node (subshell, conditional, loop, function, pipeline…) may keep it from running. */
function isTop(n: ShellNode): boolean {
  for (let p = n.parent; p; p = p.parent) if (!TOP.has(p.type)) return false;
  return true;
}

/** Every variable site of the tree, in source order. */
export function variableSites(root: ShellNode): VariableSite[] {
  const sites: VariableSite[] = [];
  const visit = (n: ShellNode): void => {
    if (n.type === 'variable_assignment' && n.parent?.type !== 'command') {
      const site: VariableSite = { kind: 'assign', name: n.childForFieldName('name')?.text ?? '', raw: n.childForFieldName('value')?.text ?? '', start: n.startIndex, top: isTop(n) };
      const declaredBy = n.parent?.type === 'declaration_command' ? n.parent.child(0)?.text : undefined;
      if (declaredBy !== undefined) site.declaredBy = declaredBy;
      sites.push(site);
    } else if (n.type === 'declaration_command') {
      const declaredBy = n.child(0)?.text;
      for (const c of n.namedChildren) {
        if (c?.type !== 'variable_name') continue;
        const site: VariableSite = { kind: 'declare', name: c.text, start: c.startIndex, top: isTop(n) };
        if (declaredBy !== undefined) site.declaredBy = declaredBy;
        sites.push(site);
      }
    } else if (n.type === 'for_statement') {
      const v = n.childForFieldName('variable');
      if (v) sites.push({ kind: 'for', name: v.text, start: n.startIndex, values: n.childrenForFieldName('value').flatMap((x) => (x ? [x.text] : [])) });
    }
    for (const c of n.namedChildren) if (c) visit(c);
  };
  visit(root);
  // The walk meets a declaration's bare names before its assignments (`export P=1 Q`).
  return sites.sort((a, b) => a.start - b.start);
}
