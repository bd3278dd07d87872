import { graphql } from "../graphql";

export const ViewerQuery = graphql(`
  query ConsoleViewer {
    viewer {
      id
      name
      displayName
      isAdmin
    }
  }
`);
