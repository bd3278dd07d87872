// Runs once per test run: makes sure the migrated empty embedded database exists (server/src/db/pglite-template.ts;
// `pnpm install` makes it), which every PGlite test server's fresh DATA_DIR then copies instead of creating and
// migrating its own (saves seconds per server).
import { ensurePgliteTemplate } from "../../server/src/db/pglite-template.ts";

export default async function setup() {
  await ensurePgliteTemplate();
}
