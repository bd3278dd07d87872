// The version page's operations: the version with its lineage, history, deployments and PRODUCTION check (one
// request), then what needs the version's id: its log lines and the checks of alias targets that have a policy.
import { graphql } from "../../graphql";

export const PromotionCheckFields = graphql(`
  fragment ConsolePromotionCheck on PromotionCheck {
    stage
    alias
    allowed
    needsApproval
    requiredApprovals
    transitionProblem
    incumbent {
      number
    }
    rules {
      rule
      metric
      comparison
      actual
      required
      passed
      message
    }
  }
`);

export const VersionQuery = graphql(`
  query ConsoleVersion($project: String!, $model: String!, $number: Int!) {
    project(by: { name: $project }) {
      id
      eventCursor
      model(name: $model) {
        id
        name
        promotionPolicies {
          alias
          stage
        }
        aliasHistory(direction: DESC, first: 100) {
          totalCount
          nodes {
            id
            alias
            at
            comment
            actor {
              name
            }
            from {
              id
              number
            }
            to {
              id
              number
            }
            transitionRequest {
              id
            }
          }
        }
        version(number: $number) {
          id
          number
          stage
          description
          createdAt
          stageChangedAt
          aliases
          createdBy {
            name
          }
          tags {
            key
            value
          }
          metrics {
            name
            value
          }
          iteration {
            id
            number
            status
            startedAt
            endedAt
            params {
              key
              value
            }
            metrics {
              name
              value
              step
            }
            experiment {
              id
              name
            }
          }
          resource {
            id
            name
            sha256
            sizeBytes
            format
            status
            downloadUrl
          }
          parentVersion {
            id
            number
            stage
            model {
              name
            }
          }
          childVersions(first: 20) {
            totalCount
            nodes {
              id
              number
              stage
              model {
                name
              }
            }
          }
          stageHistory(direction: DESC, first: 100) {
            totalCount
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
            }
          }
          deployments(first: 50) {
            totalCount
            nodes {
              id
              environment
              status
              message
              startedAt
              finishedAt
              retiredAt
              updatedAt
              reportedBy {
                name
              }
            }
          }
          production: promotionCheck(stage: PRODUCTION) {
            ...ConsolePromotionCheck
          }
        }
      }
    }
  }
`);

export const VersionLogsQuery = graphql(`
  query ConsoleVersionLogs($modelId: ID!, $versionId: ID!) {
    node(id: $modelId) {
      ... on Model {
        logs(filter: { modelVersionId: $versionId }, first: 50) {
          totalCount
          nodes {
            id
            at
            message
            success
            actor {
              name
            }
          }
        }
      }
    }
  }
`);

export const AliasCheckQuery = graphql(`
  query ConsoleVersionAliasCheck($versionId: ID!, $alias: String!) {
    node(id: $versionId) {
      ... on ModelVersion {
        promotionCheck(alias: $alias) {
          ...ConsolePromotionCheck
        }
      }
    }
  }
`);
