// API tokens: `tokens create|list|revoke`. The secret is shown once, by `tokens create`.
import { unwrap } from "../../results.ts";
import { json, table } from "../output.ts";
import { str, limit, type Commands } from "./shared.ts";

export const tokensCommands: Commands = {
  "tokens create": {
    usage: "tokens create NAME [--user USER_ID] [--expires-at ISO8601]",
    summary: "Create an API token (yours, or a user's as instance admin); prints the secret once",
    examples: ["modelgraph tokens create ci-deployer --expires-at 2027-01-01T00:00:00Z --json | jq -r .token > deployer.token"],
    options: { user: { type: "string", short: "u" }, "expires-at": { type: "string" } },
    positionals: [1, 1],
    async run(ctx) {
      const payload = unwrap(await ctx.client.createApiToken({ name: ctx.positionals[0]!, userId: str(ctx, "user"), expiresAt: str(ctx, "expires-at") }), "createApiToken");
      if (ctx.json) return void ctx.stdout.write(json(payload));
      ctx.stdout.write(`${payload.token}\n`);
      if (!ctx.quiet) ctx.stderr.write(`created token ${payload.apiToken.name} (id ${payload.apiToken.id}) for ${payload.apiToken.user.name}; the secret above is not shown again\n`);
    },
  },

  "tokens list": {
    usage: "tokens list [--limit N]",
    summary: "List your API tokens (never their secrets)",
    examples: ["modelgraph tokens list", "modelgraph tokens list --json | jq -r '.[] | select(.revokedAt == null) | .id'"],
    options: { limit: { type: "string" } },
    positionals: [0, 0],
    async run(ctx) {
      const tokens = await ctx.client.paginate.viewerTokens({}, { limit: limit(ctx), signal: ctx.signal }).all();
      if (ctx.json) return void ctx.stdout.write(json(tokens));
      ctx.stdout.write(
        table(
          ["name", "prefix", "created", "expires", "last used", "revoked", "id"],
          tokens.map((t) => [t.name, t.prefix, t.createdAt.slice(0, 10), t.expiresAt?.slice(0, 10), t.lastUsedAt?.slice(0, 19).replace("T", " "), t.revokedAt?.slice(0, 10), t.id]),
        ),
      );
    },
  },

  "tokens revoke": {
    usage: "tokens revoke TOKEN_ID",
    summary: "Revoke an API token (it stops working at once)",
    examples: ["modelgraph tokens revoke tok_3xY…"],
    options: {},
    positionals: [1, 1],
    async run(ctx) {
      const { apiToken } = unwrap(await ctx.client.revokeApiToken({ id: ctx.positionals[0]! }), "revokeApiToken");
      if (ctx.json) return void ctx.stdout.write(json(apiToken));
      ctx.stdout.write(`revoked token ${apiToken.name} (id ${apiToken.id})\n`);
    },
  },
};
