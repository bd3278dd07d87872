import type { User } from "../generated/prisma/client.ts";

/** Who is making a request, resolved from their API token. */
export interface Viewer {
  userId: string;
  name: string;
  /** Instance administrator: sees and manages every project. */
  isAdmin: boolean;
  /** The token the request authenticated with. */
  tokenId?: string;
  /** The user's row as authentication read it, so `viewer` needs no second load (absent: load it). */
  user?: User;
}
