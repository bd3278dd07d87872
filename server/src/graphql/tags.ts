// Per-tag edits of models and versions: setTag / deleteTag (DESIGN "Search").
import { deleteTag, setTag, type TagSubject } from "../services/tags.ts";
import { builder } from "./builder.ts";
import { COMMON_ERRORS } from "./errors.ts";
import { ModelRef } from "./models.ts";
import { ModelVersionRef } from "./versions.ts";

const TagPayload = (name: string) =>
  builder.objectRef<TagSubject>(name).implement({
    description: "The object after the change: the model or the version (the other field is null).",
    fields: (t) => ({
      model: t.field({ type: ModelRef, nullable: true, description: "The model, when the subject is a model.", resolve: (p) => ("model" in p ? (p.model as never) : null) }),
      modelVersion: t.field({
        type: ModelVersionRef,
        nullable: true,
        description: "The version, when the subject is a version.",
        resolve: (p) => ("modelVersion" in p ? (p.modelVersion as never) : null),
      }),
    }),
  });

const SetTagInput = builder.inputType("SetTagInput", {
  fields: (t) => ({
    subjectId: t.id({ required: true, description: "A model or a model version." }),
    key: t.string({ required: true, description: "Tag key (1–128 characters)." }),
    value: t.string({ required: true, description: "Tag value (≤ 4,096 characters)." }),
  }),
});

builder.mutationField("setTag", (t) =>
  t.field({
    type: TagPayload("SetTagPayload"),
    description: "Sets one tag of a model or version (at most 64 tags). A version's tags stay editable after review. Emits what an update would.",
    args: { input: t.arg({ type: SetTagInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) => setTag(ctx, input),
  }),
);

const DeleteTagInput = builder.inputType("DeleteTagInput", {
  fields: (t) => ({
    subjectId: t.id({ required: true, description: "A model or a model version." }),
    key: t.string({ required: true, description: "Tag key." }),
  }),
});

builder.mutationField("deleteTag", (t) =>
  t.field({
    type: TagPayload("DeleteTagPayload"),
    description: "Removes one tag of a model or version. A key the object does not have is a successful no-op (audited, no event).",
    args: { input: t.arg({ type: DeleteTagInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) => deleteTag(ctx, input),
  }),
);
