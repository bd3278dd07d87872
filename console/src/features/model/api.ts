// The model page's operations.
import { graphql } from "../../graphql";

export const PendingRequestFragment = graphql(`
  fragment ConsolePendingRequest on TransitionRequest {
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
`);

export const StageMoveFragment = graphql(`
  fragment ConsoleStageMove on StageTransition {
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
`);

export const ModelAliasFragment = graphql(`
  fragment ConsoleModelAlias on ModelAlias {
    name
    protected
    setAt
    setBy {
      name
    }
    version {
      id
      number
    }
  }
`);

export const EnvironmentFragment = graphql(`
  fragment ConsoleEnvironment on Environment {
    name
    liveVersion {
      id
      number
    }
    lastDeployment {
      id
      status
      startedAt
      updatedAt
      message
      modelVersion {
        number
      }
      reportedBy {
        name
      }
    }
  }
`);

/** Who may do what on the model, and what needs approval. */
export const ModelPolicyFragment = graphql(`
  fragment ConsoleModelPolicy on Model {
    requireApprovalFor
    protectedAliases
    viewerCanTransition
    viewerCanApprove
  }
`);

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
        ...ConsoleModelPolicy
        tags {
          key
          value
        }
        productionVersion {
          id
          number
        }
        aliases {
          ...ConsoleModelAlias
        }
        environments {
          ...ConsoleEnvironment
        }
        pendingTransitionRequests(first: 50) {
          totalCount
          nodes {
            ...ConsolePendingRequest
          }
        }
        stageHistory(direction: DESC, first: 20) {
          nodes {
            ...ConsoleStageMove
          }
        }
      }
    }
  }
`);

export const VersionRowFragment = graphql(`
  fragment ConsoleVersionRow on ModelVersion {
    id
    number
    stage
    createdAt
    viewerCanTransition
    aliases
    tags {
      key
      value
    }
    metrics {
      name
      value
    }
  }
`);

/** The versions table: the API's search (filter and order), one page at a time. */
export const ModelVersionsQuery = graphql(`
  query ConsoleModelVersions($modelId: ID!, $first: Int!, $after: String, $filter: ModelVersionFilter, $orderBy: ModelVersionOrder!) {
    node(id: $modelId) {
      ... on Model {
        versions(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
          totalCount
          pageInfo {
            hasNextPage
            endCursor
          }
          nodes {
            ...ConsoleVersionRow
          }
        }
      }
    }
  }
`);

/** A version's id from its number (the alias form takes a number). */
export const VersionIdQuery = graphql(`
  query ConsoleVersionId($modelId: ID!, $number: Int!) {
    node(id: $modelId) {
      ... on Model {
        version(number: $number) {
          id
          number
        }
      }
    }
  }
`);

export const SetAliasMutation = graphql(`
  mutation ConsoleSetAlias($input: SetModelAliasInput!) {
    setModelAlias(input: $input) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);

export const RemoveAliasMutation = graphql(`
  mutation ConsoleRemoveAlias($input: RemoveModelAliasInput!) {
    removeModelAlias(input: $input) {
      __typename
      ... on Error {
        message
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
          toAlias
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
