// Model URIs (DESIGN.md §1 "Aliases"): one string naming a version of a model, as MLflow's `models:/` URIs do,
// with the project in front because model names are unique per project only.
//
//   models:/<project>/<model>@<alias>    the version an alias points at (`@champion`)
//   models:/<project>/<model>@latest     the highest-numbered live version (the reserved alias)
//   models:/<project>/<model>/<number>   version by number (`/3`)
//   models:/<project>/<model>/<STAGE>    the highest-numbered live version in a stage: NONE, STAGING, PRODUCTION
//                                        or ARCHIVED, written in upper case exactly (`/production` is refused,
//                                        so a typo never silently means something else)
//
// Parsing is pure (no I/O); `client.resolveModelUri(uri)` looks the version up.
import { ModelgraphError, type ErrorOfType } from "./errors.ts";
import type { ModelVersionStage } from "./generated/graphql.ts";

/** The scheme every model URI starts with. */
export const MODEL_URI_SCHEME = "models:/";

/** The stages a URI may name (upper case, exactly as the API's `ModelVersionStage`). */
export const MODEL_URI_STAGES: readonly ModelVersionStage[] = ["NONE", "STAGING", "PRODUCTION", "ARCHIVED"];

// The server's rules (server/src/domain/rules.ts), repeated here because the SDK imports nothing from the server.
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;
const ALIAS_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
const NUMBER_PATTERN = /^[1-9][0-9]{0,9}$/;

/** Which version of the model a URI names. */
export type ModelUriSelector =
  | { readonly kind: "alias"; readonly alias: string }
  | { readonly kind: "number"; readonly number: number }
  | { readonly kind: "stage"; readonly stage: ModelVersionStage };

/** A parsed model URI. */
export interface ModelUri {
  /** The project's name. */
  readonly project: string;
  /** The model's name. */
  readonly model: string;
  /** The version: by alias (`latest` included), number or stage. */
  readonly selector: ModelUriSelector;
  /** The URI as given. */
  readonly uri: string;
}

/**
 * A string that is not a valid model URI. A `ModelgraphError` whose typename is `ValidationError` (one issue at
 * path `["uri"]`), so code handling the API's validation errors handles it too; `reason` says what is wrong.
 */
export class ModelUriError extends ModelgraphError<ErrorOfType<"ValidationError">> {
  override name = "ModelUriError";
  /** The string that was given. */
  readonly uri: string;
  /** What is wrong with it, e.g. `the version must be @<alias>, /<number> or /<STAGE>`. */
  readonly reason: string;

  constructor(uri: string, reason: string) {
    const message = `invalid model URI ${JSON.stringify(uri)}: ${reason}`;
    super({ __typename: "ValidationError", message, issues: [{ path: ["uri"], message: reason }] }, "parseModelUri");
    this.uri = uri;
    this.reason = reason;
  }
}

/** True when `value` starts with `models:/` (it may still be malformed: `parseModelUri` says). */
export function isModelUri(value: string): boolean {
  return value.startsWith(MODEL_URI_SCHEME);
}

/**
 * Parses `models:/<project>/<model>@<alias>`, `…/<model>/<number>` or `…/<model>/<STAGE>`; throws
 * {@link ModelUriError} naming what is wrong.
 *
 * @example
 * ```ts
 * parseModelUri("models:/vision/resnet@champion"); // { project: "vision", model: "resnet", selector: { kind: "alias", alias: "champion" }, … }
 * parseModelUri("models:/vision/resnet/3");        // selector: { kind: "number", number: 3 }
 * parseModelUri("models:/vision/resnet/PRODUCTION"); // selector: { kind: "stage", stage: "PRODUCTION" }
 * ```
 */
export function parseModelUri(uri: string): ModelUri {
  if (typeof uri !== "string") throw new ModelUriError(String(uri), "must be a string");
  if (!uri.startsWith(MODEL_URI_SCHEME)) throw new ModelUriError(uri, `must start with ${JSON.stringify(MODEL_URI_SCHEME)}`);
  const rest = uri.slice(MODEL_URI_SCHEME.length);
  const segments = rest.split("/");
  if (segments.length < 2 || segments.some((s) => s === "")) {
    throw new ModelUriError(uri, "must be models:/<project>/<model>@<alias>, models:/<project>/<model>/<number> or models:/<project>/<model>/<STAGE> (an empty or missing part)");
  }
  if (segments.length > 3) throw new ModelUriError(uri, `has ${segments.length} parts after models:/, at most 3 (<project>/<model>/<number or STAGE>)`);
  const [project, modelPart, versionPart] = segments as [string, string, string | undefined];
  if (!NAME_PATTERN.test(project)) throw new ModelUriError(uri, `project name ${JSON.stringify(project)} is not a valid name (letters, digits, _ and -, starting with a letter or digit)`);

  const at = modelPart.indexOf("@");
  if (at >= 0) {
    if (versionPart !== undefined) throw new ModelUriError(uri, "names the version twice: use either @<alias> or /<number or STAGE>");
    const model = modelPart.slice(0, at);
    const alias = modelPart.slice(at + 1);
    checkModelName(uri, model);
    if (alias === "") throw new ModelUriError(uri, "the alias after @ is empty");
    if (!ALIAS_PATTERN.test(alias)) throw new ModelUriError(uri, `alias ${JSON.stringify(alias)} is not a valid alias (lower case letter first, then a-z, 0-9, _ or -, at most 64)`);
    return { project, model, selector: { kind: "alias", alias }, uri };
  }
  checkModelName(uri, modelPart);
  if (versionPart === undefined) throw new ModelUriError(uri, "names no version: add @<alias>, @latest, /<number> or /<STAGE>");
  if (NUMBER_PATTERN.test(versionPart)) return { project, model: modelPart, selector: { kind: "number", number: Number(versionPart) }, uri };
  if ((MODEL_URI_STAGES as readonly string[]).includes(versionPart)) return { project, model: modelPart, selector: { kind: "stage", stage: versionPart as ModelVersionStage }, uri };
  if ((MODEL_URI_STAGES as readonly string[]).includes(versionPart.toUpperCase())) {
    throw new ModelUriError(uri, `stage ${JSON.stringify(versionPart)} must be written in upper case: ${versionPart.toUpperCase()}`);
  }
  throw new ModelUriError(uri, `version ${JSON.stringify(versionPart)} is neither a version number (1, 2, …) nor a stage (${MODEL_URI_STAGES.join(", ")})`);
}

function checkModelName(uri: string, model: string): void {
  if (model === "") throw new ModelUriError(uri, "the model name is empty");
  if (!NAME_PATTERN.test(model)) throw new ModelUriError(uri, `model name ${JSON.stringify(model)} is not a valid name (letters, digits, _ and -, starting with a letter or digit)`);
}

/** The URI of a version: `formatModelUri({ project: "vision", model: "resnet", selector: { kind: "alias", alias: "champion" } })`. */
export function formatModelUri(parts: Omit<ModelUri, "uri">): string {
  const base = `${MODEL_URI_SCHEME}${parts.project}/${parts.model}`;
  switch (parts.selector.kind) {
    case "alias":
      return `${base}@${parts.selector.alias}`;
    case "number":
      return `${base}/${parts.selector.number}`;
    case "stage":
      return `${base}/${parts.selector.stage}`;
  }
}
