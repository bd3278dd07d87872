// Alias names and the reserved `latest` (DESIGN.md §1 "Aliases"). No I/O.
import type { ValidationIssue } from "./errors.ts";
import { ValidationError } from "./errors.ts";
import { MAX_ALIASES_PER_MODEL } from "./rules.ts";

/** Names of aliases and of deployment environments: a lowercase letter, then up to 63 of a-z 0-9 _ -. */
export const LOWERCASE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

/** Why `name` breaks LOWERCASE_NAME_PATTERN, or null when it does not. */
export function lowercaseNameProblem(name: string): string | null {
  if (LOWERCASE_NAME_PATTERN.test(name)) return null;
  return name.length > 64
    ? `must be at most 64 characters (got ${name.length})`
    : "must start with a lowercase letter and contain only lowercase letters, digits, '_' and '-' (pattern ^[a-z][a-z0-9_-]{0,63}$)";
}

/** Always the highest-numbered live version; computed, never stored, so it cannot be set, removed or protected. */
export const LATEST_ALIAS = "latest";

/** Why `name` is not an alias one may set, or null when it is. */
export function aliasNameProblem(name: string): string | null {
  if (name === LATEST_ALIAS) return `"${LATEST_ALIAS}" is reserved: it always resolves to the highest-numbered live version and cannot be set, removed or protected`;
  return lowercaseNameProblem(name);
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

