/**
 * Which subsystems an invariant belongs to (docs/gen-invariants.ts). An `invariant({...})` call written once inside
 * a function that several subsystems' lists call (a factory such as subsystems/thp/vma-invariants.ts, listed by both
 * THP implementations) belongs to each subsystem whose source calls that function; any other call belongs to the
 * subsystem of its own file.
 */
import { relative, sep } from 'node:path';
import { Node, SyntaxKind } from 'ts-morph';

/** The name of the function declaration, or of the const holding the arrow / function expression, around `at`. */
function enclosingFunctionName(at: Node): Node | undefined {
  for (let n = at.getParent(); n; n = n.getParent()) {
    if (Node.isFunctionDeclaration(n)) return n.getNameNode();
    if ((Node.isArrowFunction(n) || Node.isFunctionExpression(n)) && Node.isVariableDeclaration(n.getParent()))
      return n.getParentIfKindOrThrow(SyntaxKind.VariableDeclaration).getNameNode();
  }
  return undefined;
}

/**
 * The subsystems (by `ofPath` of each calling file, relative to `root`) that call the function an invariant() call
 * sits in, sorted; undefined when it sits in no named function or nothing else calls it (then: its own file's).
 */
export function usingSubsystems(call: Node, root: string, ofPath: (rel: string) => string): string[] | undefined {
  const name = enclosingFunctionName(call);
  if (!name || !Node.isIdentifier(name)) return undefined;
  const subs = new Set<string>();
  for (const ref of name.findReferencesAsNodes()) {
    const caller = ref.getParentIfKind(SyntaxKind.CallExpression);
    if (!caller || caller.getExpression() !== ref) continue;
    subs.add(ofPath(relative(root, ref.getSourceFile().getFilePath()).split(sep).join('/')));
  }
  return subs.size > 0 ? [...subs].sort() : undefined;
}
