/** Who is making a request. Until tokens exist (access issue) every request acts as the local admin. */
export interface Viewer {
  userId: string;
  name: string;
  /** Instance administrator: sees and manages every project. */
  isAdmin: boolean;
}
