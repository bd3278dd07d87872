// Per-tag edits of models and versions (DESIGN "Search": setTag / deleteTag). A version's tags stay editable after
// review (only its reviewed content is frozen). Each call is audited; a change emits what updateModel /
// updateModelVersion would emit for the same edit (nothing for a model, MODEL_VERSION_UPDATED for a version).
// Deleting a key that is not there changes nothing and succeeds (audited, no event), so retries are harmless.
import { NotFoundError, ValidationError } from "../domain/errors.ts";
import { decodeGlobalId } from "../domain/ids.ts";
import { check, fromMap, MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH, MAX_TAGS, toMap } from "../domain/rules.ts";
import { transaction } from "../db/transaction.ts";
import { appendEvent } from "../events/log.ts";
import { audit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { loadModelForWrite, lockModel } from "./models.ts";
import { loadVersionForWrite } from "./versions.ts";

export type TagSubject = { model: { id: string } } | { modelVersion: { id: string } };

/** The new tag map, or null when nothing changes; `value` null deletes. */
function edited(tags: unknown, key: string, value: string | null): Record<string, string> | null {
  const map = toMap(fromMap(tags));
  if (value === null ? !(key in map) : map[key] === value) return null;
  if (value === null) delete map[key];
  else map[key] = value;
  if (Object.keys(map).length > MAX_TAGS) throw ValidationError.single(["input", "key"], `an object may have at most ${MAX_TAGS} tags`);
  return map;
}

async function editTag(ctx: ServiceContext, action: "setTag" | "deleteTag", subjectId: string, key: string, value: string | null): Promise<TagSubject> {
  check()
    .require(key.length > 0, ["input", "key"], "must not be empty")
    .maxLength(["input", "key"], key, MAX_TAG_KEY_LENGTH)
    .maxLength(["input", "value"], value, MAX_TAG_VALUE_LENGTH)
    .done();
  const subject = decodeGlobalId(subjectId);
  return transaction(ctx.prisma, async (tx) => {
    if (subject?.typename === "Model") {
      const model = await loadModelForWrite(ctx, tx, subjectId, "write");
      // Under the model lock, concurrent edits of other keys are not lost (each reads the map the last one wrote).
      await lockModel(tx, model.id);
      const { tags: current } = await tx.model.findUniqueOrThrow({ where: { id: model.id }, select: { tags: true } });
      const tags = edited(current, key, value);
      const updated = tags ? await tx.model.update({ where: { id: model.id }, data: { tags } }) : model;
      const { project: _project, ...before } = model;
      audit(tx, ctx, { action, targetType: "Model", targetId: model.id, projectId: model.projectId, before, after: { ...updated, project: undefined, tag: { key, value } } });
      return { model: updated };
    }
    if (subject?.typename === "ModelVersion") {
      const version = await loadVersionForWrite(ctx, tx, subjectId, "write");
      await lockModel(tx, version.modelId);
      const { tags: current } = await tx.modelVersion.findUniqueOrThrow({ where: { id: version.id }, select: { tags: true } });
      const tags = edited(current, key, value);
      const updated = tags ? await tx.modelVersion.update({ where: { id: version.id }, data: { tags } }) : version;
      if (tags) {
        appendEvent(tx, {
          projectId: version.projectId,
          type: "MODEL_VERSION_UPDATED",
          actorId: ctx.viewer.userId,
          modelId: version.modelId,
          modelVersionId: version.id,
          payload: { number: version.number },
        });
      }
      const { model: _model, ...before } = version;
      audit(tx, ctx, { action, targetType: "ModelVersion", targetId: version.id, projectId: version.projectId, before, after: { ...updated, model: undefined, tag: { key, value } } });
      return { modelVersion: updated };
    }
    throw new NotFoundError("Model or ModelVersion", subjectId);
  });
}

/** Sets one tag of a model or version (adds it, or changes its value). */
export const setTag = (ctx: ServiceContext, input: { subjectId: string; key: string; value: string }) => editTag(ctx, "setTag", input.subjectId, input.key, input.value);

/** Removes one tag of a model or version; a key it does not have is a successful no-op. */
export const deleteTag = (ctx: ServiceContext, input: { subjectId: string; key: string }) => editTag(ctx, "deleteTag", input.subjectId, input.key, null);

