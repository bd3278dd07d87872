// Keeps a page live: subscribes to its project's events from the cursor its query returned, and refetches the
// page's data on each event (so a promotion made elsewhere shows without a reload).
import { useQueryClient } from "@tanstack/react-query";
import { useRef } from "react";
import { graphql } from "../graphql";
import { useSubscription } from "./live";

const ProjectEventsSubscription = graphql(`
  subscription ConsoleProjectEvents($projectId: ID!, $after: String) {
    projectEvents(projectId: $projectId, after: $after) {
      cursor
      type
      modelId
    }
  }
`);

export function useLiveProject(projectId: string | undefined, cursor: string | undefined, onEvent?: (type: string) => void): void {
  const queryClient = useQueryClient();
  // The first cursor seen for the project: refetches return newer ones, but the subscription already covers them.
  const start = useRef<{ projectId: string; cursor: string } | null>(null);
  if (projectId && cursor && start.current?.projectId !== projectId) start.current = { projectId, cursor };
  const from = start.current && start.current.projectId === projectId ? start.current : null;
  useSubscription(ProjectEventsSubscription, from ? { projectId: from.projectId, after: from.cursor } : null, (data) => {
    onEvent?.(data.projectEvents.type);
    void queryClient.invalidateQueries();
  });
}
