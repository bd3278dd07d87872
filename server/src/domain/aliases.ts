// Alias names and the reserved `latest` (DESIGN.md §1 "Aliases"). No I/O.
import type { ValidationIssue } from "./errors.ts";
import { ValidationError } from "./errors.ts";
import { MAX_ALIASES_PER_MODEL } from "./rules.ts";

export const ALIAS_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

/** Always the highest-numbered live version; computed, never stored, so it cannot be set, removed or protected. */
export const LATEST_ALIAS = "latest";

/** Why `name` is not an alias one may set, or null when it is. */
export function aliasNameProblem(name: string): string | null {
  if (name === LATEST_ALIAS) return `"${LATEST_ALIAS}" is reserved: it always resolves to the highest-numbered live version and cannot be set, removed or protected`;
  if (!ALIAS_PATTERN.test(name)) {
    return name.length > 64
      ? `must be at most 64 characters (got ${name.length})`
      : "must start with a lowercase letter and contain only lowercase letters, digits, '_' and '-' (pattern ^[a-z][a-z0-9_-]{0,63}$)";
  }
  return null;
}

/** Throws a ValidationError naming `path` unless `name` is an alias one may set or remove. */
export function assertSettableAlias(path: string[], name: string): void {
  const problem = aliasNameProblem(name);
  if (problem) throw ValidationError.single(path, problem);
}

/** The issues of a model's `protectedAliases` input: valid names, no `latest`, at most MAX_ALIASES_PER_MODEL. */
export function protectedAliasIssues(path: string[], names: readonly string[] | null | undefined): ValidationIssue[] {
  if (names == null) return [];
  const issues: ValidationIssue[] = [];
  if (names.length > MAX_ALIASES_PER_MODEL) issues.push({ path, message: `must have at most ${MAX_ALIASES_PER_MODEL} entries (got ${names.length})` });
  names.forEach((name, i) => {
    const problem = aliasNameProblem(name);
    if (problem) issues.push({ path: [...path, String(i)], message: problem });
  });
  return issues;
}

