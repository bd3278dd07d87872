import { builder } from "./builder.ts";

export const UserRef = builder.prismaNode("User", {
  description: "A person or machine identity.",
  id: { field: "id" },
  fields: (t) => ({
    name: t.exposeString("name", { description: "Login name." }),
    displayName: t.exposeString("displayName", { nullable: true, description: "Name to show." }),
    isAdmin: t.exposeBoolean("isAdmin", { description: "Instance administrator." }),
    deactivatedAt: t.expose("deactivatedAt", {
      type: "DateTime",
      nullable: true,
      description: "When an instance admin deactivated the user (their tokens do not authenticate meanwhile); null while active.",
    }),
  }),
});

builder.queryField("viewer", (t) =>
  t.prismaField({
    type: "User",
    description: "Who you are.",
    // The row authentication read has every scalar; relations selected below it are loaded by their own fields.
    resolve: (query, _root, _args, ctx) => ctx.viewer.user ?? ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: ctx.viewer.userId } }),
  }),
);
