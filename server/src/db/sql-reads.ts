// Nested reads in one SQL statement, past Prisma's query interpreter. A read whose arguments (select/include,
// where, orderBy, take, skip, _count) fall in the class compiled here becomes one statement in which PostgreSQL
// builds each row, its to-one relations, its to-many relations (first N per parent, in order) and its relation
// counts as JSON, as PostGraphile does; the result is Prisma's shape (Dates, BigInts, `_count`), so resolvers and
// the prisma plugin read it unchanged. Anything else (cursors, negative take, distinct, text search, JSON filters,
// relation orderings, Decimal/Bytes columns…) throws Unsupported, and the caller sends the read through Prisma.
//
// Why: on the lineage document Prisma's interpreter and row mapping were the largest piece of server CPU (≈ 35–40
// %, plus the garbage it leaves), for ~400 rows that PostgreSQL can assemble and JSON.parse can unpack natively.
//
// Identifiers come from the datamodel only (an unknown name is Unsupported) and every value is a parameter with
// the column's type, so nothing of the arguments is spliced into the SQL text. The schema maps no names (@map) and
// every relation references `id`: test/registry/sql-reads.test.ts checks both on prisma/schema.prisma.
import { getDatamodel } from "../generated/pothos-types.ts";
import type { Prisma } from "./database.ts";

interface DmField {
  name: string;
  kind: "scalar" | "enum" | "object";
  type: string;
  isList: boolean;
  isRequired: boolean;
  relationName?: string;
  relationFromFields?: string[];
}

/** The read is outside the compiled class: send it through Prisma. */
export class Unsupported extends Error {}

const unsupported = (why: string): never => {
  throw new Unsupported(why);
};

const MODELS = new Map<string, Map<string, DmField>>(
  Object.entries((getDatamodel() as unknown as { datamodel: { models: Record<string, { fields: DmField[] }> } }).datamodel.models).map(([name, m]) => [
    name,
    new Map(m.fields.map((f) => [f.name, f])),
  ]),
);

function fieldOf(model: string, name: string): DmField {
  return MODELS.get(model)?.get(name) ?? unsupported(`${model}.${name}`);
}

/** SQL type of a parameter compared with a column (explicit, so PGlite and pg send it alike). */
function sqlType(f: DmField): string {
  if (f.kind === "enum") return `"${f.type}"`;
  switch (f.type) {
    case "String":
      return "text";
    case "Int":
      return "int4";
    case "BigInt":
      return "int8";
    case "Float":
      return "float8";
    case "Boolean":
      return "bool";
    case "DateTime":
      return "timestamptz";
    default:
      return unsupported(`parameter of type ${f.type}`);
  }
}

function paramValue(f: DmField, v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "bigint") return String(v);
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  return unsupported(`value for ${f.name}`);
}

/** A PostgreSQL array literal (the elements quoted), so one text parameter carries a list of any column type. */
function arrayLiteral(f: DmField, values: unknown[]): string {
  return `{${values.map((v) => `"${String(paramValue(f, v)).replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`).join(",")}}`;
}

/** Converts what JSON cannot carry back to Prisma's types, in place. */
type Decode = (row: Record<string, unknown>) => void;

/** How a to-many or to-one relation joins its parent: child column = parent column. */
function join(model: string, f: DmField): { target: string; childColumn: string; parentColumn: string; list: boolean } {
  if (f.kind !== "object") unsupported(`${model}.${f.name} is not a relation`);
  const from = f.relationFromFields ?? [];
  if (from.length === 1) return { target: f.type, childColumn: "id", parentColumn: from[0]!, list: false };
  if (from.length > 1) unsupported("compound relation");
  // The other side holds the foreign key.
  const other = [...(MODELS.get(f.type)?.values() ?? [])].find((o) => o.relationName === f.relationName && (o.relationFromFields?.length ?? 0) > 0 && o !== f);
  if (!other || other.relationFromFields!.length !== 1) return unsupported(`relation ${model}.${f.name}`);
  return { target: f.type, childColumn: other.relationFromFields![0]!, parentColumn: "id", list: f.isList };
}

const ARGS = new Set(["select", "include", "where", "orderBy", "take", "skip"]);

class Compiler {
  readonly params: unknown[] = [];
  private aliases = 0;

  param(value: unknown, cast: string): string {
    this.params.push(value);
    return `$${this.params.length}::${cast}`;
  }

  alias(): string {
    return `t${this.aliases++}`;
  }

  /** `json_build_object(…)` of one row of `model` (alias `t`) for a select/include, and its decoder. */
  object(model: string, t: string, args: Record<string, unknown>): { sql: string; decode: Decode | null } {
    const { select, include } = args as { select?: Record<string, unknown>; include?: Record<string, unknown> };
    if (select && include) unsupported("select and include");
    const entries: [string, unknown][] = [];
    if (select) entries.push(...Object.entries(select));
    else {
      for (const f of MODELS.get(model)!.values()) if (f.kind !== "object") entries.push([f.name, true]);
      if (include) entries.push(...Object.entries(include));
    }
    const pairs: string[] = [];
    const decoders: Decode[] = [];
    for (const [key, value] of entries) {
      if (value === false || value === undefined) continue;
      if (key === "_count") {
        pairs.push(`'_count', ${this.counts(model, t, value)}`);
        continue;
      }
      const f = fieldOf(model, key);
      if (f.kind !== "object") {
        if (value !== true) unsupported(`select of ${key}`);
        pairs.push(`'${key}', ${this.scalar(f, t, decoders)}`);
        continue;
      }
      const rel = value === true ? {} : (value as Record<string, unknown>);
      for (const arg of Object.keys(rel)) if (!ARGS.has(arg) && rel[arg] !== undefined) unsupported(`relation argument ${arg}`);
      const j = join(model, f);
      const c = this.alias();
      const child = this.object(j.target, c, rel);
      const on = `${c}."${j.childColumn}" = ${t}."${j.parentColumn}"`;
      if (!j.list) {
        if (rel.where !== undefined || rel.orderBy !== undefined || rel.take !== undefined || rel.skip !== undefined) unsupported("arguments on a to-one relation");
        pairs.push(`'${key}', (SELECT ${child.sql} FROM "${j.target}" ${c} WHERE ${on} LIMIT 1)`);
        if (child.decode) {
          const d = child.decode;
          decoders.push((row) => {
            const v = row[key] as Record<string, unknown> | null;
            if (v) d(v);
          });
        }
        continue;
      }
      const where = rel.where === undefined ? "" : ` AND ${this.where(j.target, c, rel.where)}`;
      const order = this.orderBy(j.target, c, rel.orderBy);
      const page = this.page(rel.take, rel.skip);
      pairs.push(
        `'${key}', (SELECT coalesce(json_agg(r.o ORDER BY r.n), '[]'::json) FROM (SELECT ${child.sql} AS o, row_number() OVER (${order}) AS n FROM "${j.target}" ${c} WHERE ${on}${where} ${order}${page}) r)`,
      );
      if (child.decode) {
        const d = child.decode;
        decoders.push((row) => {
          for (const v of row[key] as Record<string, unknown>[]) d(v);
        });
      }
    }
    if (pairs.length === 0) unsupported("empty selection");
    // json_build_object takes at most 100 arguments.
    if (pairs.length > 50) unsupported("more than 50 selected fields");
    const decode = decoders.length === 0 ? null : decoders.length === 1 ? decoders[0]! : (row: Record<string, unknown>) => decoders.forEach((d) => d(row));
    return { sql: `json_build_object(${pairs.join(", ")})`, decode };
  }

  private scalar(f: DmField, t: string, decoders: Decode[]): string {
    const column = `${t}."${f.name}"`;
    if (f.kind === "enum" || ["String", "Int", "Boolean", "Json"].includes(f.type)) return column;
    if (f.isList) return unsupported(`list of ${f.type}`);
    const key = f.name;
    switch (f.type) {
      case "DateTime":
        decoders.push((row) => {
          if (row[key] != null) row[key] = new Date(row[key] as string);
        });
        return column;
      case "BigInt":
        decoders.push((row) => {
          if (row[key] != null) row[key] = BigInt(row[key] as string);
        });
        return `${column}::text`;
      case "Float":
        // NaN and ±Infinity come as strings.
        decoders.push((row) => {
          if (typeof row[key] === "string") row[key] = Number(row[key]);
        });
        return column;
      default:
        return unsupported(`column of type ${f.type}`);
    }
  }

  /** `_count: { select: { relation: true | { where } } }`. */
  private counts(model: string, t: string, value: unknown): string {
    const select = (value as { select?: Record<string, unknown> } | true) === true ? unsupported("_count: true") : (value as { select?: Record<string, unknown> }).select;
    if (!select || Object.keys(value as object).length !== 1) return unsupported("_count without select");
    const pairs: string[] = [];
    for (const [key, v] of Object.entries(select)) {
      if (v === false || v === undefined) continue;
      const j = join(model, fieldOf(model, key));
      if (!j.list) unsupported("_count of a to-one relation");
      const c = this.alias();
      const w = v === true ? {} : (v as Record<string, unknown>);
      if (Object.keys(w).some((k) => k !== "where")) unsupported("_count argument");
      const where = w.where === undefined ? "" : ` AND ${this.where(j.target, c, w.where)}`;
      pairs.push(`'${key}', (SELECT count(*) FROM "${j.target}" ${c} WHERE ${c}."${j.childColumn}" = ${t}."${j.parentColumn}"${where})`);
    }
    if (pairs.length === 0) unsupported("empty _count");
    return `json_build_object(${pairs.join(", ")})`;
  }

  orderBy(model: string, t: string, orderBy: unknown): string {
    if (orderBy === undefined) return "";
    const terms: string[] = [];
    for (const entry of Array.isArray(orderBy) ? orderBy : [orderBy]) {
      for (const [key, direction] of Object.entries(entry as Record<string, unknown>)) {
        if (direction === undefined) continue;
        const f = fieldOf(model, key);
        if (f.kind === "object" || f.type === "Json" || (direction !== "asc" && direction !== "desc")) unsupported(`orderBy ${key}`);
        terms.push(`${t}."${key}" ${direction === "asc" ? "ASC" : "DESC"}`);
      }
    }
    return terms.length === 0 ? "" : `ORDER BY ${terms.join(", ")}`;
  }

  page(take: unknown, skip: unknown): string {
    let sql = "";
    if (take !== undefined) {
      if (!Number.isInteger(take) || (take as number) < 0) unsupported("take");
      sql += ` LIMIT ${this.param(take, "int8")}`;
    }
    if (skip !== undefined && skip !== 0) {
      if (!Number.isInteger(skip) || (skip as number) < 0) unsupported("skip");
      sql += ` OFFSET ${this.param(skip, "int8")}`;
    }
    return sql;
  }

  /** SQL of a Prisma `where` on `model` (alias `t`). */
  where(model: string, t: string, where: unknown): string {
    if (where === null || typeof where !== "object" || Array.isArray(where)) return unsupported("where");
    const terms: string[] = [];
    for (const [key, value] of Object.entries(where)) {
      if (value === undefined) continue;
      if (key === "AND") {
        for (const w of Array.isArray(value) ? value : [value]) terms.push(this.where(model, t, w));
      } else if (key === "OR") {
        if (!Array.isArray(value)) unsupported("OR");
        terms.push(value.length === 0 ? "FALSE" : `(${(value as unknown[]).map((w) => this.where(model, t, w)).join(" OR ")})`);
      } else if (key === "NOT") {
        const all = (Array.isArray(value) ? value : [value]).map((w) => this.where(model, t, w));
        terms.push(`NOT (${all.join(" AND ")})`);
      } else {
        const f = fieldOf(model, key);
        terms.push(f.kind === "object" ? this.relationFilter(model, t, f, value) : this.columnFilter(f, `${t}."${key}"`, value));
      }
    }
    return terms.length === 0 ? "TRUE" : terms.length === 1 ? terms[0]! : `(${terms.join(" AND ")})`;
  }

  private columnFilter(f: DmField, column: string, value: unknown): string {
    if (f.type === "Json" || f.isList) return unsupported(`filter on ${f.name}`);
    if (value === null) return `${column} IS NULL`;
    if (typeof value !== "object" || value instanceof Date) return `${column} = ${this.param(paramValue(f, value), sqlType(f))}`;
    const terms: string[] = [];
    for (const [op, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      switch (op) {
        case "equals":
          terms.push(v === null ? `${column} IS NULL` : `${column} = ${this.param(paramValue(f, v), sqlType(f))}`);
          break;
        case "in":
          if (!Array.isArray(v)) unsupported("in");
          terms.push((v as unknown[]).length === 0 ? "FALSE" : `${column} = ANY(${this.param(arrayLiteral(f, v as unknown[]), `${sqlType(f)}[]`)})`);
          break;
        case "lt":
        case "lte":
        case "gt":
        case "gte":
          if (v === null) unsupported(op);
          terms.push(`${column} ${{ lt: "<", lte: "<=", gt: ">", gte: ">=" }[op]} ${this.param(paramValue(f, v), sqlType(f))}`);
          break;
        case "not":
          // Prisma's `not` of a value on a nullable column also has NULL questions; only the plain cases here.
          if (v === null) terms.push(`${column} IS NOT NULL`);
          else if (f.isRequired && (typeof v !== "object" || v instanceof Date)) terms.push(`${column} <> ${this.param(paramValue(f, v), sqlType(f))}`);
          else unsupported("not");
          break;
        default:
          unsupported(`filter ${op}`);
      }
    }
    return terms.length === 0 ? "TRUE" : terms.join(" AND ");
  }

  private relationFilter(model: string, t: string, f: DmField, value: unknown): string {
    const j = join(model, f);
    const c = this.alias();
    const on = `${c}."${j.childColumn}" = ${t}."${j.parentColumn}"`;
    if (value === null || typeof value !== "object") return unsupported(`filter on ${f.name}`);
    const ops = value as Record<string, unknown>;
    if (j.list) {
      const keys = Object.keys(ops).filter((k) => ops[k] !== undefined);
      if (keys.length !== 1 || (keys[0] !== "some" && keys[0] !== "none")) return unsupported(`filter on ${f.name}`);
      const exists = `EXISTS (SELECT 1 FROM "${j.target}" ${c} WHERE ${on} AND ${this.where(j.target, c, ops[keys[0]!])})`;
      return keys[0] === "some" ? exists : `NOT ${exists}`;
    }
    if (j.childColumn !== "id") return unsupported(`filter on ${f.name}`);
    if ("isNot" in ops) return unsupported("isNot");
    const inner = "is" in ops ? ops.is : ops;
    if (inner === null) return `${t}."${j.parentColumn}" IS NULL`;
    return `EXISTS (SELECT 1 FROM "${j.target}" ${c} WHERE ${on} AND ${this.where(j.target, c, inner)})`;
  }
}

export interface CompiledRead {
  sql: string;
  params: unknown[];
  /** Each result row's text (one JSON object) to Prisma's row. */
  row(text: string): Record<string, unknown>;
}

/**
 * One statement for `findFirst` (first: true) or `findMany` on `model` with Prisma's arguments, each result row a
 * JSON object in the column `o`; throws Unsupported outside the compiled class.
 */
export function compileRead(model: string, args: Record<string, unknown>, first: boolean): CompiledRead {
  if (!MODELS.has(model)) unsupported(model);
  for (const arg of Object.keys(args)) if (!ARGS.has(arg) && args[arg] !== undefined) unsupported(`argument ${arg}`);
  if (first && args.take !== undefined && args.take !== 1) unsupported("findFirst with take");
  const compiler = new Compiler();
  const t = compiler.alias();
  const { sql: object, decode } = compiler.object(model, t, args);
  const where = args.where === undefined ? "" : ` WHERE ${compiler.where(model, t, args.where)}`;
  const order = compiler.orderBy(model, t, args.orderBy);
  const page = compiler.page(first ? 1 : args.take, args.skip);
  return {
    sql: `SELECT ${object}::text AS o FROM "${model}" ${t}${where} ${order}${page}`,
    params: compiler.params,
    row: (text) => {
      const row = JSON.parse(text) as Record<string, unknown>;
      decode?.(row);
      return row;
    },
  };
}

type Reader = ((sql: string, params: unknown[]) => Promise<string[]>) | undefined;
type Delegate = { findFirst(args: unknown): Promise<unknown>; findMany(args: unknown): Promise<unknown[]> };
type ModelKey = { [K in keyof Prisma]: Prisma[K] extends { findFirst: unknown; findMany: unknown } ? K : never }[keyof Prisma] & string;
/** The row type Prisma's findFirst declares (every scalar; the selection-driven rows hold fewer, as with Prisma). */
type Row<M extends ModelKey> = NonNullable<Awaited<ReturnType<Prisma[M]["findFirst"]>>>;

/** `findFirst` on `model` in one statement when the arguments allow (and a reader is given), else through Prisma. */
export async function readFirst<M extends ModelKey>(ctx: { prisma: Prisma; read: Reader }, model: M, args: Record<string, unknown>): Promise<Row<M> | null> {
  const compiled = ctx.read ? tryCompile(model, args, true) : null;
  if (!compiled) return (await (ctx.prisma[model] as unknown as Delegate).findFirst(args)) as Row<M> | null;
  const [text] = await ctx.read!(compiled.sql, compiled.params);
  return text === undefined ? null : (compiled.row(text) as Row<M>);
}

/** `findMany` on `model` in one statement when the arguments allow (and a reader is given), else through Prisma. */
export async function readMany<M extends ModelKey>(ctx: { prisma: Prisma; read: Reader }, model: M, args: Record<string, unknown>): Promise<Row<M>[]> {
  const compiled = ctx.read ? tryCompile(model, args, false) : null;
  if (!compiled) return (await (ctx.prisma[model] as unknown as Delegate).findMany(args)) as Row<M>[];
  return (await ctx.read!(compiled.sql, compiled.params)).map((text) => compiled.row(text) as Row<M>);
}

function tryCompile(model: string, args: Record<string, unknown>, first: boolean): CompiledRead | null {
  try {
    return compileRead(model.charAt(0).toUpperCase() + model.slice(1), args, first);
  } catch (error) {
    if (error instanceof Unsupported) return null;
    throw error;
  }
}

/**
 * `count({ where })` (no `by`) or `groupBy({ by: [by], where, _count: { _all: true } })` on `model` as counts by the
 * `by` column's value, in one statement when the `where` allows (and a reader is given), else through Prisma.
 */
export async function readCounts<M extends ModelKey>(ctx: { prisma: Prisma; read: Reader }, model: M, where: Record<string, unknown>, by?: string): Promise<Map<string | null, number>> {
  let compiled: { sql: string; params: unknown[] } | null = null;
  if (ctx.read) {
    try {
      const name = model.charAt(0).toUpperCase() + model.slice(1);
      if (!MODELS.has(name)) unsupported(name);
      const compiler = new Compiler();
      const t = compiler.alias();
      const condition = compiler.where(name, t, where);
      if (by !== undefined && fieldOf(name, by).kind === "object") unsupported(`count by ${by}`);
      const key = by === undefined ? "NULL" : `${t}."${by}"`;
      compiled = { sql: `SELECT json_build_array(${key}, count(*))::text AS o FROM "${name}" ${t} WHERE ${condition}${by === undefined ? "" : ` GROUP BY ${key}`}`, params: compiler.params };
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
    }
  }
  if (compiled) return new Map((await ctx.read!(compiled.sql, compiled.params)).map((text) => JSON.parse(text) as [string | null, number]));
  const delegate = ctx.prisma[model] as unknown as { count(args: unknown): Promise<number>; groupBy(args: unknown): Promise<Record<string, unknown>[]> };
  if (by === undefined) return new Map([[null, await delegate.count({ where })]]);
  const rows = await delegate.groupBy({ by: [by], where, _count: { _all: true } });
  return new Map(rows.map((r) => [r[by] as string, (r._count as { _all: number })._all]));
}
