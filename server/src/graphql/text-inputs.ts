// No argument of any field may carry text the database cannot store (NUL, unpaired surrogates; the rule is in
// domain/rules.ts). Two entry points, one rule, no field listed by hand:
// - a Pothos plugin checks the arguments of every field whose result union holds ValidationError (every
//   mutation), so the refusal is data naming each input path, like any other ValidationError;
// - an envelop plugin checks every other field argument of the operation before execution starts, so a query or
//   subscription is refused with one BAD_USER_INPUT error naming the argument path. It has to run before
//   execution: the prisma plugin reads the arguments of nested relation fields (e.g. `project { models(filter) }`)
//   while resolving their parent, before their own resolvers could check anything.
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import {
  getArgumentValues,
  getVariableValues,
  GraphQLError,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type GraphQLFieldResolver,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { ValidationError, type ValidationIssue } from "../domain/errors.ts";
import { unstorableTextIssues } from "../domain/rules.ts";

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      storableTextInputs: StorableTextInputsPlugin<Types>;
    }
  }
}

/** `extensions.code` of a query or subscription refused for unstorable text in an argument, or of a bad variable. */
export const BAD_USER_INPUT = "BAD_USER_INPUT";

function issuesOf(args: object, issues: ValidationIssue[] = []): ValidationIssue[] {
  for (const [name, value] of Object.entries(args)) unstorableTextIssues(value, [name], issues);
  return issues;
}

/** Whether the errors plugin turns a thrown ValidationError into a member of this field's result union. */
function returnsValidationError(extensions: unknown): boolean {
  const types = (extensions as { pothosErrors?: unknown[] } | null | undefined)?.pothosErrors ?? [];
  return types.some((type) => type === ValidationError);
}

export class StorableTextInputsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> {
    if (Object.keys(fieldConfig.args).length === 0 || !returnsValidationError(fieldConfig.extensions)) return resolver;
    return (parent, args, context, info) => {
      const issues = issuesOf(args);
      if (issues.length > 0) throw new ValidationError(issues);
      return resolver(parent, args, context, info);
    };
  }
}

SchemaBuilder.registerPlugin("storableTextInputs", StorableTextInputsPlugin);

/**
 * Every unstorable string in the arguments of the operation's fields (fragments included), except the fields the
 * Pothos plugin answers with a ValidationError. Variables that do not coerce are reported as they are (graphql-js
 * would report the same errors, without a code).
 */
function refusals(args: ExecutionArgs): GraphQLError[] {
  const operation = args.document.definitions.find(
    (d) => d.kind === Kind.OPERATION_DEFINITION && (args.operationName == null || d.name?.value === args.operationName),
  );
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return [];
  const variables = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
  if (variables.errors) return variables.errors.map(withCode);
  const issues: ValidationIssue[] = [];
  for (const [field, node] of fieldsToCheck(args.schema, args.document, operation)) {
    try {
      issuesOf(getArgumentValues(field, node, variables.coerced), issues);
    } catch {
      // An argument that does not coerce is execution's to report.
    }
  }
  return issues.length > 0 ? [badUserInput(issues)] : [];
}

/**
 * The fields with arguments of `operation` (its fragments included) that `refusals` checks, in document order.
 * They depend on the document alone: found with type info once per parsed operation (Yoga hands the same parsed
 * document back for the same text), not on every request; only the argument values are checked each time.
 */
const checkedFields = new WeakMap<OperationDefinitionNode, { schema: GraphQLSchema; fields: [GraphQLField<unknown, unknown>, FieldNode][] }>();
function fieldsToCheck(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): [GraphQLField<unknown, unknown>, FieldNode][] {
  const cached = checkedFields.get(operation);
  if (cached?.schema === schema) return cached.fields;
  const fields: [GraphQLField<unknown, unknown>, FieldNode][] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      OperationDefinition: (node) => (node === operation ? undefined : false),
      Field(node) {
        const field = typeInfo.getFieldDef();
        if (field && node.arguments?.length && !returnsValidationError(field.extensions)) fields.push([field, node]);
      },
    }),
  );
  checkedFields.set(operation, { schema, fields });
  return fields;
}

/** A variable that does not fit its type is the client's mistake: say so with the code clients switch on. */
function withCode(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code: BAD_USER_INPUT } });
}

export function badUserInput(issues: ValidationIssue[]): GraphQLError {
  const message = issues.map((i) => `Argument ${i.path.join(".")} ${i.message}`).join("; ");
  return new GraphQLError(message, { extensions: { code: BAD_USER_INPUT, issues } });
}

/**
 * The envelop side: refuses an operation whose variables do not coerce, or a query or subscription with
 * unstorable text in any argument, before it runs.
 */
export function storableTextArgumentsPlugin(): Plugin {
  const stop = ({ args, setResultAndStopExecution }: { args: ExecutionArgs; setResultAndStopExecution: (result: never) => void }) => {
    const errors = refusals(args);
    if (errors.length > 0) setResultAndStopExecution({ errors } as never);
  };
  return { onExecute: stop, onSubscribe: stop };
}
