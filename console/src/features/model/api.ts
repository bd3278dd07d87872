// The model page's operations.
import { graphql } from "../../graphql";

export const ModelPageQuery = graphql(`
  query ConsoleModel($project: String!, $model: String!) {
    project(by: { name: $project }) {
      id
      name
      eventCursor
      model(name: $model) {
        id
        name
        description
        requireApprovalFor
        viewerCanTransition
        viewerCanApprove
        tags {
          key
          value
        }
        productionVersion {
          id
          number
        }
        pendingTransitionRequests(first: 50) {
          totalCount
          nodes {
            id
            toStage
            toAlias
            comment
            createdAt
            viewerCanApprove
            viewerCanCancel
            requestedBy {
              name
            }
            modelVersion {
              id
              number
              stage
            }
          }
        }
        stageHistory(direction: DESC, first: 20) {
          nodes {
            id
            at
            fromStage
            toStage
            cause
            comment
            actor {
              name
            }
            modelVersion {
              number
            }
          }
        }
      }
    }
  }
`);

export const ModelVersionsQuery = graphql(`
  query ConsoleModelVersions($modelId: ID!, $after: String, $filter: ModelVersionFilter) {
    node(id: $modelId) {
      ... on Model {
        versions(first: 100, after: $after, filter: $filter, orderBy: { field: NUMBER, direction: DESC }) {
          totalCount
          pageInfo {
            hasNextPage
            endCursor
          }
          nodes {
            id
            number
            stage
            createdAt
            stageChangedAt
            viewerCanTransition
            tags {
              key
              value
            }
            metrics {
              name
              value
            }
          }
        }
      }
    }
  }
`);

export const TransitionMutation = graphql(`
  mutation ConsoleTransition($input: TransitionModelVersionStageInput!) {
    transitionModelVersionStage(input: $input) {
      __typename
      ... on TransitionModelVersionStagePayload {
        modelVersion {
          id
          number
          stage
        }
      }
      ... on StaleStageError {
        actualStage
      }
      ... on Error {
        message
      }
    }
  }
`);

export const RequestTransitionMutation = graphql(`
  mutation ConsoleRequestTransition($input: RequestModelVersionTransitionInput!) {
    requestModelVersionTransition(input: $input) {
      __typename
      ... on RequestModelVersionTransitionPayload {
        transitionRequest {
          id
          toStage
        }
      }
      ... on Error {
        message
      }
    }
  }
`);

export const ApproveMutation = graphql(`
  mutation ConsoleApprove($input: ApproveTransitionRequestInput!) {
    approveTransitionRequest(input: $input) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);

export const RejectMutation = graphql(`
  mutation ConsoleReject($input: RejectTransitionRequestInput!) {
    rejectTransitionRequest(input: $input) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);

export const CancelMutation = graphql(`
  mutation ConsoleCancel($input: CancelTransitionRequestInput!) {
    cancelTransitionRequest(input: $input) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);

/** A mutation result's message: null for the payload, the typed error's message otherwise. */
export function failureOf(result: { __typename: string; message?: string }): string | null {
  return result.__typename.endsWith("Payload") ? null : (result.message ?? result.__typename);
}
