// First start on an empty database: create the instance administrator and its token.
import fs from "node:fs/promises";
import path from "node:path";
import { displayPrefix, generateToken, hashToken } from "../access/tokens.ts";
import type { Prisma } from "../db/database.ts";
import { transaction } from "../db/transaction.ts";
import type { Logger } from "../log.ts";

export const BOOTSTRAP_ADMIN_NAME = "admin";
export const BOOTSTRAP_TOKEN_FILE = "bootstrap-token";

/**
 * On an empty database, creates the admin user with a token: MODELGRAPH_BOOTSTRAP_TOKEN when set, otherwise
 * a generated one, printed once and written to `<dataDir>/bootstrap-token` (mode 0600). Does nothing once any
 * user exists. Replicas starting together serialise on an advisory lock.
 */
export async function bootstrapAdmin(prisma: Prisma, options: { bootstrapToken: string | undefined; dataDir: string; log: Logger }): Promise<void> {
  const created = await transaction(prisma, async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(72707370)`;
    if ((await tx.user.count()) > 0) return null;
    const token = options.bootstrapToken ?? generateToken();
    const admin = await tx.user.create({ data: { name: BOOTSTRAP_ADMIN_NAME, displayName: "Administrator", isAdmin: true } });
    await tx.apiToken.create({ data: { userId: admin.id, name: "bootstrap", prefix: displayPrefix(token), tokenHash: hashToken(token) } });
    return { token, generated: options.bootstrapToken === undefined };
  });
  if (!created?.generated) {
    if (created) options.log.info("created the admin user with MODELGRAPH_BOOTSTRAP_TOKEN");
    return;
  }
  const file = path.join(options.dataDir, BOOTSTRAP_TOKEN_FILE);
  await fs.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  await fs.writeFile(file, `${created.token}\n`, { mode: 0o600 });
  // Printed once, on purpose: this is the only way to learn the generated secret besides the file.
  process.stdout.write(`\nmodelgraph: created the admin user. Its API token (shown once, also in ${file}):\n\n    ${created.token}\n\n`);
}

/** Temporary: the viewer every request acts as until token authentication is wired in. */
export async function ensureLocalAdmin(prisma: Prisma) {
  const existing = await prisma.user.findFirst({ where: { isAdmin: true }, orderBy: { createdAt: "asc" } });
  const admin = existing ?? (await prisma.user.create({ data: { name: BOOTSTRAP_ADMIN_NAME, displayName: "Administrator", isAdmin: true } }));
  return { userId: admin.id, name: admin.name, isAdmin: true };
}
