/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment ConsolePendingRequest on TransitionRequest {\n    id\n    toStage\n    toAlias\n    comment\n    createdAt\n    viewerCanApprove\n    viewerCanCancel\n    requestedBy {\n      name\n    }\n    modelVersion {\n      id\n      number\n      stage\n    }\n  }\n": typeof types.ConsolePendingRequestFragmentDoc,
    "\n  fragment ConsoleStageMove on StageTransition {\n    id\n    at\n    fromStage\n    toStage\n    cause\n    comment\n    actor {\n      name\n    }\n    modelVersion {\n      number\n    }\n  }\n": typeof types.ConsoleStageMoveFragmentDoc,
    "\n  fragment ConsoleModelAlias on ModelAlias {\n    name\n    protected\n    setAt\n    setBy {\n      name\n    }\n    version {\n      id\n      number\n    }\n  }\n": typeof types.ConsoleModelAliasFragmentDoc,
    "\n  fragment ConsoleEnvironment on Environment {\n    name\n    liveVersion {\n      id\n      number\n    }\n    lastDeployment {\n      id\n      status\n      startedAt\n      updatedAt\n      message\n      modelVersion {\n        number\n      }\n      reportedBy {\n        name\n      }\n    }\n  }\n": typeof types.ConsoleEnvironmentFragmentDoc,
    "\n  fragment ConsoleModelPolicy on Model {\n    requireApprovalFor\n    protectedAliases\n    viewerCanTransition\n    viewerCanApprove\n  }\n": typeof types.ConsoleModelPolicyFragmentDoc,
    "\n  query ConsoleModel($project: String!, $model: String!) {\n    project(by: { name: $project }) {\n      id\n      name\n      eventCursor\n      model(name: $model) {\n        id\n        name\n        description\n        ...ConsoleModelPolicy\n        tags {\n          key\n          value\n        }\n        productionVersion {\n          id\n          number\n        }\n        aliases {\n          ...ConsoleModelAlias\n        }\n        environments {\n          ...ConsoleEnvironment\n        }\n        pendingTransitionRequests(first: 50) {\n          totalCount\n          nodes {\n            ...ConsolePendingRequest\n          }\n        }\n        stageHistory(direction: DESC, first: 20) {\n          nodes {\n            ...ConsoleStageMove\n          }\n        }\n      }\n    }\n  }\n": typeof types.ConsoleModelDocument,
    "\n  fragment ConsoleVersionRow on ModelVersion {\n    id\n    number\n    stage\n    createdAt\n    viewerCanTransition\n    aliases\n    tags {\n      key\n      value\n    }\n    metrics {\n      name\n      value\n    }\n  }\n": typeof types.ConsoleVersionRowFragmentDoc,
    "\n  query ConsoleModelVersions($modelId: ID!, $first: Int!, $after: String, $filter: ModelVersionFilter, $orderBy: ModelVersionOrder!) {\n    node(id: $modelId) {\n      ... on Model {\n        versions(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {\n          totalCount\n          pageInfo {\n            hasNextPage\n            endCursor\n          }\n          nodes {\n            ...ConsoleVersionRow\n          }\n        }\n      }\n    }\n  }\n": typeof types.ConsoleModelVersionsDocument,
    "\n  query ConsoleVersionId($modelId: ID!, $number: Int!) {\n    node(id: $modelId) {\n      ... on Model {\n        version(number: $number) {\n          id\n          number\n        }\n      }\n    }\n  }\n": typeof types.ConsoleVersionIdDocument,
    "\n  mutation ConsoleSetAlias($input: SetModelAliasInput!) {\n    setModelAlias(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n": typeof types.ConsoleSetAliasDocument,
    "\n  mutation ConsoleRemoveAlias($input: RemoveModelAliasInput!) {\n    removeModelAlias(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n": typeof types.ConsoleRemoveAliasDocument,
    "\n  mutation ConsoleTransition($input: TransitionModelVersionStageInput!) {\n    transitionModelVersionStage(input: $input) {\n      __typename\n      ... on TransitionModelVersionStagePayload {\n        modelVersion {\n          id\n          number\n          stage\n        }\n      }\n      ... on StaleStageError {\n        actualStage\n      }\n      ... on Error {\n        message\n      }\n    }\n  }\n": typeof types.ConsoleTransitionDocument,
    "\n  mutation ConsoleRequestTransition($input: RequestModelVersionTransitionInput!) {\n    requestModelVersionTransition(input: $input) {\n      __typename\n      ... on RequestModelVersionTransitionPayload {\n        transitionRequest {\n          id\n          toStage\n          toAlias\n        }\n      }\n      ... on Error {\n        message\n      }\n    }\n  }\n": typeof types.ConsoleRequestTransitionDocument,
    "\n  mutation ConsoleApprove($input: ApproveTransitionRequestInput!) {\n    approveTransitionRequest(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n": typeof types.ConsoleApproveDocument,
    "\n  mutation ConsoleReject($input: RejectTransitionRequestInput!) {\n    rejectTransitionRequest(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n": typeof types.ConsoleRejectDocument,
    "\n  mutation ConsoleCancel($input: CancelTransitionRequestInput!) {\n    cancelTransitionRequest(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n": typeof types.ConsoleCancelDocument,
    "\n  query ConsoleProjectModels($project: String!, $filter: NamedObjectFilter) {\n    project(by: { name: $project }) {\n      id\n      name\n      description\n      eventCursor\n      models(first: 200, filter: $filter, orderBy: { field: UPDATED_AT, direction: DESC }) {\n        totalCount\n        nodes {\n          id\n          name\n          description\n          updatedAt\n          requireApprovalFor\n          tags {\n            key\n            value\n          }\n          productionVersion {\n            number\n          }\n          latestVersion {\n            number\n            createdAt\n          }\n          versions(first: 1) {\n            totalCount\n          }\n        }\n      }\n    }\n  }\n": typeof types.ConsoleProjectModelsDocument,
    "\n  query ConsoleProjects($nameContains: String) {\n    projects(first: 200, filter: { nameContains: $nameContains }, orderBy: { field: NAME }) {\n      totalCount\n      nodes {\n        id\n        name\n        description\n        updatedAt\n        viewerRole\n        models(first: 1) {\n          totalCount\n        }\n      }\n    }\n  }\n": typeof types.ConsoleProjectsDocument,
    "\n  query ConsoleVersion($project: String!, $model: String!, $number: Int!) {\n    project(by: { name: $project }) {\n      id\n      eventCursor\n      model(name: $model) {\n        id\n        name\n        version(number: $number) {\n          id\n          number\n          stage\n          description\n          createdAt\n          stageChangedAt\n          createdBy {\n            name\n          }\n          tags {\n            key\n            value\n          }\n          metrics {\n            name\n            value\n          }\n          iteration {\n            number\n            status\n            params {\n              key\n              value\n            }\n            experiment {\n              name\n            }\n          }\n          resource {\n            name\n            sha256\n            sizeBytes\n            format\n            downloadUrl\n          }\n          parentVersion {\n            number\n            model {\n              name\n            }\n          }\n          childVersions(first: 20) {\n            nodes {\n              number\n              model {\n                name\n              }\n            }\n          }\n          stageHistory(first: 50) {\n            nodes {\n              id\n              at\n              fromStage\n              toStage\n              cause\n              actor {\n                name\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.ConsoleVersionDocument,
    "\n  subscription ConsoleProjectEvents($projectId: ID!, $after: String) {\n    projectEvents(projectId: $projectId, after: $after) {\n      cursor\n      type\n      modelId\n    }\n  }\n": typeof types.ConsoleProjectEventsDocument,
};
const documents: Documents = {
    "\n  fragment ConsolePendingRequest on TransitionRequest {\n    id\n    toStage\n    toAlias\n    comment\n    createdAt\n    viewerCanApprove\n    viewerCanCancel\n    requestedBy {\n      name\n    }\n    modelVersion {\n      id\n      number\n      stage\n    }\n  }\n": types.ConsolePendingRequestFragmentDoc,
    "\n  fragment ConsoleStageMove on StageTransition {\n    id\n    at\n    fromStage\n    toStage\n    cause\n    comment\n    actor {\n      name\n    }\n    modelVersion {\n      number\n    }\n  }\n": types.ConsoleStageMoveFragmentDoc,
    "\n  fragment ConsoleModelAlias on ModelAlias {\n    name\n    protected\n    setAt\n    setBy {\n      name\n    }\n    version {\n      id\n      number\n    }\n  }\n": types.ConsoleModelAliasFragmentDoc,
    "\n  fragment ConsoleEnvironment on Environment {\n    name\n    liveVersion {\n      id\n      number\n    }\n    lastDeployment {\n      id\n      status\n      startedAt\n      updatedAt\n      message\n      modelVersion {\n        number\n      }\n      reportedBy {\n        name\n      }\n    }\n  }\n": types.ConsoleEnvironmentFragmentDoc,
    "\n  fragment ConsoleModelPolicy on Model {\n    requireApprovalFor\n    protectedAliases\n    viewerCanTransition\n    viewerCanApprove\n  }\n": types.ConsoleModelPolicyFragmentDoc,
    "\n  query ConsoleModel($project: String!, $model: String!) {\n    project(by: { name: $project }) {\n      id\n      name\n      eventCursor\n      model(name: $model) {\n        id\n        name\n        description\n        ...ConsoleModelPolicy\n        tags {\n          key\n          value\n        }\n        productionVersion {\n          id\n          number\n        }\n        aliases {\n          ...ConsoleModelAlias\n        }\n        environments {\n          ...ConsoleEnvironment\n        }\n        pendingTransitionRequests(first: 50) {\n          totalCount\n          nodes {\n            ...ConsolePendingRequest\n          }\n        }\n        stageHistory(direction: DESC, first: 20) {\n          nodes {\n            ...ConsoleStageMove\n          }\n        }\n      }\n    }\n  }\n": types.ConsoleModelDocument,
    "\n  fragment ConsoleVersionRow on ModelVersion {\n    id\n    number\n    stage\n    createdAt\n    viewerCanTransition\n    aliases\n    tags {\n      key\n      value\n    }\n    metrics {\n      name\n      value\n    }\n  }\n": types.ConsoleVersionRowFragmentDoc,
    "\n  query ConsoleModelVersions($modelId: ID!, $first: Int!, $after: String, $filter: ModelVersionFilter, $orderBy: ModelVersionOrder!) {\n    node(id: $modelId) {\n      ... on Model {\n        versions(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {\n          totalCount\n          pageInfo {\n            hasNextPage\n            endCursor\n          }\n          nodes {\n            ...ConsoleVersionRow\n          }\n        }\n      }\n    }\n  }\n": types.ConsoleModelVersionsDocument,
    "\n  query ConsoleVersionId($modelId: ID!, $number: Int!) {\n    node(id: $modelId) {\n      ... on Model {\n        version(number: $number) {\n          id\n          number\n        }\n      }\n    }\n  }\n": types.ConsoleVersionIdDocument,
    "\n  mutation ConsoleSetAlias($input: SetModelAliasInput!) {\n    setModelAlias(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n": types.ConsoleSetAliasDocument,
    "\n  mutation ConsoleRemoveAlias($input: RemoveModelAliasInput!) {\n    removeModelAlias(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n": types.ConsoleRemoveAliasDocument,
    "\n  mutation ConsoleTransition($input: TransitionModelVersionStageInput!) {\n    transitionModelVersionStage(input: $input) {\n      __typename\n      ... on TransitionModelVersionStagePayload {\n        modelVersion {\n          id\n          number\n          stage\n        }\n      }\n      ... on StaleStageError {\n        actualStage\n      }\n      ... on Error {\n        message\n      }\n    }\n  }\n": types.ConsoleTransitionDocument,
    "\n  mutation ConsoleRequestTransition($input: RequestModelVersionTransitionInput!) {\n    requestModelVersionTransition(input: $input) {\n      __typename\n      ... on RequestModelVersionTransitionPayload {\n        transitionRequest {\n          id\n          toStage\n          toAlias\n        }\n      }\n      ... on Error {\n        message\n      }\n    }\n  }\n": types.ConsoleRequestTransitionDocument,
    "\n  mutation ConsoleApprove($input: ApproveTransitionRequestInput!) {\n    approveTransitionRequest(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n": types.ConsoleApproveDocument,
    "\n  mutation ConsoleReject($input: RejectTransitionRequestInput!) {\n    rejectTransitionRequest(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n": types.ConsoleRejectDocument,
    "\n  mutation ConsoleCancel($input: CancelTransitionRequestInput!) {\n    cancelTransitionRequest(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n": types.ConsoleCancelDocument,
    "\n  query ConsoleProjectModels($project: String!, $filter: NamedObjectFilter) {\n    project(by: { name: $project }) {\n      id\n      name\n      description\n      eventCursor\n      models(first: 200, filter: $filter, orderBy: { field: UPDATED_AT, direction: DESC }) {\n        totalCount\n        nodes {\n          id\n          name\n          description\n          updatedAt\n          requireApprovalFor\n          tags {\n            key\n            value\n          }\n          productionVersion {\n            number\n          }\n          latestVersion {\n            number\n            createdAt\n          }\n          versions(first: 1) {\n            totalCount\n          }\n        }\n      }\n    }\n  }\n": types.ConsoleProjectModelsDocument,
    "\n  query ConsoleProjects($nameContains: String) {\n    projects(first: 200, filter: { nameContains: $nameContains }, orderBy: { field: NAME }) {\n      totalCount\n      nodes {\n        id\n        name\n        description\n        updatedAt\n        viewerRole\n        models(first: 1) {\n          totalCount\n        }\n      }\n    }\n  }\n": types.ConsoleProjectsDocument,
    "\n  query ConsoleVersion($project: String!, $model: String!, $number: Int!) {\n    project(by: { name: $project }) {\n      id\n      eventCursor\n      model(name: $model) {\n        id\n        name\n        version(number: $number) {\n          id\n          number\n          stage\n          description\n          createdAt\n          stageChangedAt\n          createdBy {\n            name\n          }\n          tags {\n            key\n            value\n          }\n          metrics {\n            name\n            value\n          }\n          iteration {\n            number\n            status\n            params {\n              key\n              value\n            }\n            experiment {\n              name\n            }\n          }\n          resource {\n            name\n            sha256\n            sizeBytes\n            format\n            downloadUrl\n          }\n          parentVersion {\n            number\n            model {\n              name\n            }\n          }\n          childVersions(first: 20) {\n            nodes {\n              number\n              model {\n                name\n              }\n            }\n          }\n          stageHistory(first: 50) {\n            nodes {\n              id\n              at\n              fromStage\n              toStage\n              cause\n              actor {\n                name\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.ConsoleVersionDocument,
    "\n  subscription ConsoleProjectEvents($projectId: ID!, $after: String) {\n    projectEvents(projectId: $projectId, after: $after) {\n      cursor\n      type\n      modelId\n    }\n  }\n": types.ConsoleProjectEventsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsolePendingRequest on TransitionRequest {\n    id\n    toStage\n    toAlias\n    comment\n    createdAt\n    viewerCanApprove\n    viewerCanCancel\n    requestedBy {\n      name\n    }\n    modelVersion {\n      id\n      number\n      stage\n    }\n  }\n"): typeof import('./graphql').ConsolePendingRequestFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleStageMove on StageTransition {\n    id\n    at\n    fromStage\n    toStage\n    cause\n    comment\n    actor {\n      name\n    }\n    modelVersion {\n      number\n    }\n  }\n"): typeof import('./graphql').ConsoleStageMoveFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleModelAlias on ModelAlias {\n    name\n    protected\n    setAt\n    setBy {\n      name\n    }\n    version {\n      id\n      number\n    }\n  }\n"): typeof import('./graphql').ConsoleModelAliasFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleEnvironment on Environment {\n    name\n    liveVersion {\n      id\n      number\n    }\n    lastDeployment {\n      id\n      status\n      startedAt\n      updatedAt\n      message\n      modelVersion {\n        number\n      }\n      reportedBy {\n        name\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleEnvironmentFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleModelPolicy on Model {\n    requireApprovalFor\n    protectedAliases\n    viewerCanTransition\n    viewerCanApprove\n  }\n"): typeof import('./graphql').ConsoleModelPolicyFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleModel($project: String!, $model: String!) {\n    project(by: { name: $project }) {\n      id\n      name\n      eventCursor\n      model(name: $model) {\n        id\n        name\n        description\n        ...ConsoleModelPolicy\n        tags {\n          key\n          value\n        }\n        productionVersion {\n          id\n          number\n        }\n        aliases {\n          ...ConsoleModelAlias\n        }\n        environments {\n          ...ConsoleEnvironment\n        }\n        pendingTransitionRequests(first: 50) {\n          totalCount\n          nodes {\n            ...ConsolePendingRequest\n          }\n        }\n        stageHistory(direction: DESC, first: 20) {\n          nodes {\n            ...ConsoleStageMove\n          }\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleModelDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleVersionRow on ModelVersion {\n    id\n    number\n    stage\n    createdAt\n    viewerCanTransition\n    aliases\n    tags {\n      key\n      value\n    }\n    metrics {\n      name\n      value\n    }\n  }\n"): typeof import('./graphql').ConsoleVersionRowFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleModelVersions($modelId: ID!, $first: Int!, $after: String, $filter: ModelVersionFilter, $orderBy: ModelVersionOrder!) {\n    node(id: $modelId) {\n      ... on Model {\n        versions(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {\n          totalCount\n          pageInfo {\n            hasNextPage\n            endCursor\n          }\n          nodes {\n            ...ConsoleVersionRow\n          }\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleModelVersionsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleVersionId($modelId: ID!, $number: Int!) {\n    node(id: $modelId) {\n      ... on Model {\n        version(number: $number) {\n          id\n          number\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleVersionIdDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSetAlias($input: SetModelAliasInput!) {\n    setModelAlias(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleSetAliasDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleRemoveAlias($input: RemoveModelAliasInput!) {\n    removeModelAlias(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleRemoveAliasDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleTransition($input: TransitionModelVersionStageInput!) {\n    transitionModelVersionStage(input: $input) {\n      __typename\n      ... on TransitionModelVersionStagePayload {\n        modelVersion {\n          id\n          number\n          stage\n        }\n      }\n      ... on StaleStageError {\n        actualStage\n      }\n      ... on Error {\n        message\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleTransitionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleRequestTransition($input: RequestModelVersionTransitionInput!) {\n    requestModelVersionTransition(input: $input) {\n      __typename\n      ... on RequestModelVersionTransitionPayload {\n        transitionRequest {\n          id\n          toStage\n          toAlias\n        }\n      }\n      ... on Error {\n        message\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleRequestTransitionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleApprove($input: ApproveTransitionRequestInput!) {\n    approveTransitionRequest(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleApproveDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleReject($input: RejectTransitionRequestInput!) {\n    rejectTransitionRequest(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleRejectDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCancel($input: CancelTransitionRequestInput!) {\n    cancelTransitionRequest(input: $input) {\n      __typename\n      ... on Error {\n        message\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleCancelDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleProjectModels($project: String!, $filter: NamedObjectFilter) {\n    project(by: { name: $project }) {\n      id\n      name\n      description\n      eventCursor\n      models(first: 200, filter: $filter, orderBy: { field: UPDATED_AT, direction: DESC }) {\n        totalCount\n        nodes {\n          id\n          name\n          description\n          updatedAt\n          requireApprovalFor\n          tags {\n            key\n            value\n          }\n          productionVersion {\n            number\n          }\n          latestVersion {\n            number\n            createdAt\n          }\n          versions(first: 1) {\n            totalCount\n          }\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleProjectModelsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleProjects($nameContains: String) {\n    projects(first: 200, filter: { nameContains: $nameContains }, orderBy: { field: NAME }) {\n      totalCount\n      nodes {\n        id\n        name\n        description\n        updatedAt\n        viewerRole\n        models(first: 1) {\n          totalCount\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleProjectsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleVersion($project: String!, $model: String!, $number: Int!) {\n    project(by: { name: $project }) {\n      id\n      eventCursor\n      model(name: $model) {\n        id\n        name\n        version(number: $number) {\n          id\n          number\n          stage\n          description\n          createdAt\n          stageChangedAt\n          createdBy {\n            name\n          }\n          tags {\n            key\n            value\n          }\n          metrics {\n            name\n            value\n          }\n          iteration {\n            number\n            status\n            params {\n              key\n              value\n            }\n            experiment {\n              name\n            }\n          }\n          resource {\n            name\n            sha256\n            sizeBytes\n            format\n            downloadUrl\n          }\n          parentVersion {\n            number\n            model {\n              name\n            }\n          }\n          childVersions(first: 20) {\n            nodes {\n              number\n              model {\n                name\n              }\n            }\n          }\n          stageHistory(first: 50) {\n            nodes {\n              id\n              at\n              fromStage\n              toStage\n              cause\n              actor {\n                name\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleVersionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ConsoleProjectEvents($projectId: ID!, $after: String) {\n    projectEvents(projectId: $projectId, after: $after) {\n      cursor\n      type\n      modelId\n    }\n  }\n"): typeof import('./graphql').ConsoleProjectEventsDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
