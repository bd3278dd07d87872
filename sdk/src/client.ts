// The typed client: one method per operation of the API (sdk/src/operations/*.graphql), connections as async
// iterators, resumable subscriptions, and artifact transfer. Runtime-specific parts come from a Platform
// (portable web APIs in index.ts, Node in node/index.ts).
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import type { DocumentNode } from "graphql";
import {
  downloadArtifact as downloadWith,
  uploadArtifact as uploadWith,
  type ArtifactContext,
  type DownloadArtifactOptions,
  type DownloadResult,
  type ResourceRef,
  type UploadArtifactOptions,
} from "./artifacts.ts";
import { ModelgraphError } from "./errors.ts";
import { parseModelUri, type ModelUri } from "./model-uri.ts";
import {
  AuditLogDocument,
  CompareModelVersionsDocument,
  DeploymentsDocument,
  ModelEnvironmentsDocument,
  ModelLogsDocument,
  ModelVersionDeploymentsDocument,
  ReportDeploymentDocument,
  AddModelLogDocument,
  type DeploymentsQueryVariables,
  type ModelLogsQueryVariables,
  type ModelVersionDeploymentsQueryVariables,
  type ReportDeploymentInput,
  type AddModelLogInput,
  SearchModelVersionsDocument,
  SetTagDocument,
  DeleteTagDocument,
  ExperimentByIdDocument,
  ExperimentDocument,
  ExperimentIterationsDocument,
  IterationByIdDocument,
  IterationDocument,
  IterationMetricHistoryDocument,
  IterationModelVersionsDocument,
  IterationResourcesDocument,
  LatestModelVersionDocument,
  ModelByIdDocument,
  ModelDocument,
  ModelPendingTransitionRequestsDocument,
  ModelStageHistoryDocument,
  ModelVersionAtDocument,
  ModelAliasesDocument,
  ModelAliasHistoryDocument,
  ModelVersionAtAliasDocument,
  ModelVersionByAliasDocument,
  SetModelAliasDocument,
  RemoveModelAliasDocument,
  ModelVersionByIdDocument,
  ModelVersionChildVersionsDocument,
  ModelPromotionPoliciesDocument,
  ModelVersionPromotionCheckDocument,
  SetPromotionPolicyDocument,
  RemovePromotionPolicyDocument,
  ModelVersionDocument,
  ModelVersionLineageDocument,
  ModelVersionStageChangedDocument,
  ModelAliasChangedDocument,
  type ModelAliasChangedSubscriptionVariables,
  ModelVersionStageHistoryDocument,
  ModelVersionsDocument,
  ModelVersionTransitionRequestsDocument,
  NodeDocument,
  NodesDocument,
  ProductionModelVersionDocument,
  ProjectDocument,
  ProjectEventsDocument,
  ProjectExperimentsDocument,
  ProjectMembersDocument,
  ProjectModelsDocument,
  ProjectModelsOverviewDocument,
  ProjectModelVersionsDocument,
  ProjectResourcesDocument,
  ProjectsDocument,
  ProjectTransitionRequestsDocument,
  ProjectWebhooksDocument,
  ResourceByIdDocument,
  ResourceModelVersionsDocument,
  TransitionRequestByIdDocument,
  ViewerDocument,
  ViewerTokensDocument,
  WebhookByIdDocument,
  WebhookDeliveriesDocument,
  CreateProjectDocument,
  UpdateProjectDocument,
  ArchiveProjectDocument,
  CreateExperimentDocument,
  UpdateExperimentDocument,
  ArchiveExperimentDocument,
  CreateIterationDocument,
  LogIterationMetricsDocument,
  FinishIterationDocument,
  CreateModelDocument,
  UpdateModelDocument,
  DeprecateModelDocument,
  ArchiveModelDocument,
  CreateModelVersionDocument,
  UpdateModelVersionDocument,
  DeleteModelVersionDocument,
  TransitionModelVersionStageDocument,
  RollbackModelDocument,
  RequestModelVersionTransitionDocument,
  ApproveTransitionRequestDocument,
  RejectTransitionRequestDocument,
  CancelTransitionRequestDocument,
  CreateResourceUploadDocument,
  CompleteResourceUploadDocument,
  DeleteResourceDocument,
  CreateUserDocument,
  DeactivateUserDocument,
  ReactivateUserDocument,
  CreateApiTokenDocument,
  RevokeApiTokenDocument,
  AddProjectMemberDocument,
  UpdateProjectMemberDocument,
  RemoveProjectMemberDocument,
  CreateWebhookDocument,
  UpdateWebhookDocument,
  DeleteWebhookDocument,
  type AuditLogQueryVariables,
  type ExperimentIterationsQueryVariables,
  type IterationModelVersionsQueryVariables,
  type IterationResourcesQueryVariables,
  type ModelPendingTransitionRequestsQueryVariables,
  type ModelStageHistoryQueryVariables,
  type ModelVersionChildVersionsQueryVariables,
  type ModelVersionsQueryVariables,
  type ModelVersionStage,
  type ModelVersionStageChangedSubscriptionVariables,
  type ModelVersionStageHistoryQueryVariables,
  type ModelVersionTransitionRequestsQueryVariables,
  type NamedObjectFilter,
  type NamedObjectOrder,
  type ProjectBy,
  type ProjectEventsSubscriptionVariables,
  type ProjectExperimentsQueryVariables,
  type ProjectMembersQueryVariables,
  type ProjectModelsQueryVariables,
  type ProjectModelsOverviewQueryVariables,
  type ProjectModelVersionsQueryVariables,
  type SearchModelVersionsQueryVariables,
  type ProjectResourcesQueryVariables,
  type ProjectTransitionRequestsQueryVariables,
  type ProjectWebhooksQueryVariables,
  type ResourceModelVersionsQueryVariables,
  type ViewerTokensQueryVariables,
  type WebhookDeliveriesQueryVariables,
  type OrderDirection,
  type IterationStatus,
  type CreateProjectInput,
  type UpdateProjectInput,
  type ArchiveProjectInput,
  type CreateExperimentInput,
  type UpdateExperimentInput,
  type ArchiveExperimentInput,
  type CreateIterationInput,
  type LogIterationMetricsInput,
  type FinishIterationInput,
  type CreateModelInput,
  type UpdateModelInput,
  type DeprecateModelInput,
  type ArchiveModelInput,
  type CreateModelVersionInput,
  type UpdateModelVersionInput,
  type SetTagInput,
  type DeleteTagInput,
  type DeleteModelVersionInput,
  type TransitionModelVersionStageInput,
  type RollbackModelInput,
  type RequestModelVersionTransitionInput,
  type ApproveTransitionRequestInput,
  type RejectTransitionRequestInput,
  type CancelTransitionRequestInput,
  type CreateResourceUploadInput,
  type CompleteResourceUploadInput,
  type DeleteResourceInput,
  type CreateUserInput,
  type DeactivateUserInput,
  type ReactivateUserInput,
  type CreateApiTokenInput,
  type RevokeApiTokenInput,
  type AddProjectMemberInput,
  type UpdateProjectMemberInput,
  type RemoveProjectMemberInput,
  type CreateWebhookInput,
  type UpdateWebhookInput,
  type DeleteWebhookInput,
  type SetPromotionPolicyInput,
  type RemovePromotionPolicyInput,
} from "./generated/graphql.ts";
import type { ModelAliasHistoryQueryVariables, RemoveModelAliasInput, SetModelAliasInput } from "./generated/graphql.ts";
import { Paginator, type Connection, type Page, type PaginateOptions } from "./paginate.ts";
import type { Platform } from "./platform.ts";
import { ResumableSubscription, runWatch, WebSocketHub, type ResumeOptions, type Watch, type WatchOptions } from "./subscriptions.ts";
import { graphqlEndpoint, HttpTransport, type RequestOptions, type ServerWarning, type TokenSource } from "./transport.ts";
import type {
  ApiToken,
  AuditEntry,
  Deployment,
  Environment,
  Experiment,
  Iteration,
  MetricPoint,
  Model,
  ModelVersion,
  ModelVersionComparison,
  PromotionCheck,
  PromotionPolicy,
  SetPromotionPolicyResult,
  RemovePromotionPolicyResult,
  ModelVersionLineage,
  ModelLog,
  ModelOverview,
  NodeRef,
  Project,
  ProjectEvent,
  ProjectMember,
  Resource,
  StageChangeEvent,
  AliasChangeEvent,
  StageTransition,
  TransitionRequest,
  User,
  Webhook,
  WebhookDelivery,
  CreateProjectResult,
  UpdateProjectResult,
  ArchiveProjectResult,
  CreateExperimentResult,
  UpdateExperimentResult,
  ArchiveExperimentResult,
  CreateIterationResult,
  LogIterationMetricsResult,
  FinishIterationResult,
  CreateModelResult,
  UpdateModelResult,
  DeprecateModelResult,
  ArchiveModelResult,
  CreateModelVersionResult,
  UpdateModelVersionResult,
  SetTagResult,
  DeleteTagResult,
  DeleteModelVersionResult,
  TransitionModelVersionStageResult,
  SetModelAliasResult,
  RemoveModelAliasResult,
  ModelAlias,
  AliasChange,
  RollbackModelResult,
  RequestModelVersionTransitionResult,
  ApproveTransitionRequestResult,
  RejectTransitionRequestResult,
  CancelTransitionRequestResult,
  CreateResourceUploadResult,
  CompleteResourceUploadResult,
  DeleteResourceResult,
  CreateUserResult,
  DeactivateUserResult,
  ReactivateUserResult,
  CreateApiTokenResult,
  RevokeApiTokenResult,
  AddProjectMemberResult,
  UpdateProjectMemberResult,
  RemoveProjectMemberResult,
  CreateWebhookResult,
  UpdateWebhookResult,
  DeleteWebhookResult,
  ReportDeploymentResult,
  AddModelLogResult,
} from "./types.ts";

/** Options of `createClient`. */
export interface ClientOptions {
  /** The server (`https://registry.example.com`) or its GraphQL endpoint (`…/graphql`). */
  url: string;
  /** An API token (`mg_…`), or a function returning the current one. Sent as `Authorization: Bearer …`. */
  token: TokenSource;
  /** The fetch to use (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** The WebSocket constructor for subscriptions (default: the global one; the Node entry uses `ws`). */
  webSocketImpl?: unknown;
  /** Headers sent with every GraphQL request (e.g. a user agent). */
  headers?: Record<string, string>;
  /** Retries of queries (and of mutations with an idempotency key) on network errors and 502/503/504. Default 2. */
  retries?: number;
  /** Gives up on a GraphQL request after this many milliseconds (artifact transfers are not limited). Default 60 s. */
  timeoutMs?: number;
  /** Called with each warning the server attaches to a response (e.g. a read of a deprecated model). Default: ignored. */
  onWarning?: (warning: ServerWarning) => void;
  /** Keep-alive ping interval of subscriptions, in ms. Default 10 s. */
  keepAliveMs?: number;
}

/** Finds a project by id or name: `{ id }` or `{ name }`. */
export type ProjectRef = ProjectBy;

/** Reads: one method per query of the API. Lookups answer null when nothing visible matches. */
export interface QueryMethods {
  /** Who the token belongs to. */
  viewer(options?: RequestOptions): Promise<User>;
  /** API tokens of the caller (one page). */
  viewerTokens(variables?: ViewerTokensQueryVariables, options?: RequestOptions): Promise<Connection<ApiToken>>;
  /** What a global id is (its type), or null. Read it with the typed `…ById` method of that type. */
  node(id: string, options?: RequestOptions): Promise<NodeRef | null>;
  /** What global ids are, in order (null where not found). */
  nodes(ids: readonly string[], options?: RequestOptions): Promise<(NodeRef | null)[]>;
  /** Who changed what, newest first (instance admins: everything; project ADMINs: their project). */
  auditLog(variables?: AuditLogQueryVariables, options?: RequestOptions): Promise<Page<AuditEntry>>;

  /** Projects you can see (ACTIVE only unless `filter.status` says otherwise), one page. */
  projects(variables?: { filter?: NamedObjectFilter; orderBy?: NamedObjectOrder; first?: number; after?: string }, options?: RequestOptions): Promise<Connection<Project>>;
  /** One project by `{ id }` or `{ name }`, or null. */
  project(by: ProjectRef, options?: RequestOptions): Promise<Project | null>;
  /** Models of a project (one page). Throws a `NotFoundError` if the project is not found. */
  projectModels(variables: ProjectModelsQueryVariables, options?: RequestOptions): Promise<Connection<Model>>;
  /** Models of a project with their PRODUCTION and latest version numbers (one page). */
  projectModelsOverview(variables: ProjectModelsOverviewQueryVariables, options?: RequestOptions): Promise<Connection<ModelOverview>>;
  /** Experiments of a project (one page). */
  projectExperiments(variables: ProjectExperimentsQueryVariables, options?: RequestOptions): Promise<Connection<Experiment>>;
  /** Artifacts of a project, newest first (one page). */
  projectResources(variables: ProjectResourcesQueryVariables, options?: RequestOptions): Promise<Connection<Resource>>;
  /** Versions of every model of a project, e.g. `filter: { stages: ["PRODUCTION"] }` (one page). */
  projectModelVersions(variables: ProjectModelVersionsQueryVariables, options?: RequestOptions): Promise<Connection<ModelVersion>>;
  /** Approval requests of a project, newest first; `filter: { statuses: ["PENDING"] }` is the review queue. */
  projectTransitionRequests(variables: ProjectTransitionRequestsQueryVariables, options?: RequestOptions): Promise<Connection<TransitionRequest>>;
  /** Members of a project and their roles (one page). */
  projectMembers(variables: ProjectMembersQueryVariables, options?: RequestOptions): Promise<Connection<ProjectMember>>;
  /** Webhooks of a project (ADMINs see them; empty for others). */
  projectWebhooks(variables: ProjectWebhooksQueryVariables, options?: RequestOptions): Promise<Connection<Webhook>>;

  /** One experiment of a project by name, or null. */
  experiment(variables: { project: ProjectRef; name: string }, options?: RequestOptions): Promise<Experiment | null>;
  /** An experiment by global id, or null. */
  experimentById(id: string, options?: RequestOptions): Promise<Experiment | null>;
  /** Training runs of an experiment, newest first by default (one page). */
  experimentIterations(variables: ExperimentIterationsQueryVariables, options?: RequestOptions): Promise<Connection<Iteration>>;
  /** One training run of an experiment by number, or null. */
  iteration(variables: { experimentId: string; number: number }, options?: RequestOptions): Promise<Iteration | null>;
  /** A training run by global id, or null. */
  iterationById(id: string, options?: RequestOptions): Promise<Iteration | null>;
  /** Every logged value of one metric of a run, by step. */
  iterationMetricHistory(variables: { iterationId: string; name: string }, options?: RequestOptions): Promise<MetricPoint[]>;
  /** Versions produced by a training run (one page). */
  iterationModelVersions(variables: IterationModelVersionsQueryVariables, options?: RequestOptions): Promise<Connection<ModelVersion>>;
  /** Artifacts produced by a training run (one page). */
  iterationResources(variables: IterationResourcesQueryVariables, options?: RequestOptions): Promise<Connection<Resource>>;

  /** One model of a project by name, or null. */
  model(variables: { project: ProjectRef; name: string }, options?: RequestOptions): Promise<Model | null>;
  /** A model by global id, or null. */
  modelById(id: string, options?: RequestOptions): Promise<Model | null>;
  /** Versions of a model, newest first by default (one page). */
  modelVersions(variables: ModelVersionsQueryVariables, options?: RequestOptions): Promise<Connection<ModelVersion>>;
  /** The version of a model with this number, or null (deleted ones only with `includeDeleted`). */
  modelVersion(variables: { modelId: string; number: number; includeDeleted?: boolean }, options?: RequestOptions): Promise<ModelVersion | null>;
  /** A version by global id, or null. */
  modelVersionById(id: string, options?: RequestOptions): Promise<ModelVersion | null>;
  /** The highest-numbered live version of a model, optionally among some stages, or null. */
  latestModelVersion(variables: { modelId: string; stages?: ModelVersionStage[] }, options?: RequestOptions): Promise<ModelVersion | null>;
  /** The version of a model in PRODUCTION, or null. */
  productionModelVersion(variables: { modelId: string }, options?: RequestOptions): Promise<ModelVersion | null>;
  /** Which version held `stage` at instant `at` (ISO-8601), or null. */
  modelVersionAt(variables: { modelId: string; stage: ModelVersionStage; at: string }, options?: RequestOptions): Promise<ModelVersion | null>;
  /** A model's aliases by name, and the names it protects; null if the model is not found. */
  modelAliases(variables: { modelId: string }, options?: RequestOptions): Promise<{ aliases: ModelAlias[]; protectedAliases: string[] } | null>;
  /** The version an alias of a model points at (`latest`: the highest-numbered live version), or null. */
  modelVersionByAlias(variables: { modelId: string; alias: string }, options?: RequestOptions): Promise<ModelVersion | null>;
  /** Which version an alias pointed at at instant `at` (ISO-8601), or null. */
  modelVersionAtAlias(variables: { modelId: string; alias: string; at: string }, options?: RequestOptions): Promise<ModelVersion | null>;
  /** Every move of a model's aliases (or of one), oldest first by default (one page). */
  modelAliasHistory(variables: ModelAliasHistoryQueryVariables, options?: RequestOptions): Promise<Connection<AliasChange>>;
  /** Every stage move of every version of a model, oldest first by default (one page). */
  modelStageHistory(variables: ModelStageHistoryQueryVariables, options?: RequestOptions): Promise<Connection<StageTransition>>;
  /** Requests awaiting a decision for versions of a model, oldest first (one page). */
  modelPendingTransitionRequests(variables: ModelPendingTransitionRequestsQueryVariables, options?: RequestOptions): Promise<Connection<TransitionRequest>>;
  /** A version with its whole lineage (model, project, iteration and experiment, artifact, parent, children), or null. */
  modelVersionLineage(id: string, options?: RequestOptions): Promise<ModelVersionLineage | null>;
  /** Every stage move of one version, oldest first by default (one page). */
  modelVersionStageHistory(variables: ModelVersionStageHistoryQueryVariables, options?: RequestOptions): Promise<Connection<StageTransition>>;
  /** Approval requests for one version, newest first (one page). */
  modelVersionTransitionRequests(variables: ModelVersionTransitionRequestsQueryVariables, options?: RequestOptions): Promise<Connection<TransitionRequest>>;
  /** Versions derived from one version (one page). */
  modelVersionChildVersions(variables: ModelVersionChildVersionsQueryVariables, options?: RequestOptions): Promise<Connection<ModelVersion>>;
  /** How two versions differ: metric deltas (b − a), parameter and tag changes, same artifact; null if either is not found. */
  compareModelVersions(variables: { a: string; b: string }, options?: RequestOptions): Promise<ModelVersionComparison | null>;
  /** A model's promotion policies, one per target (NotFoundError if the model is not found). */
  modelPromotionPolicies(modelId: string, options?: RequestOptions): Promise<PromotionPolicy[]>;
  /**
   * Would the promotion policy of `stage` (or `alias`: give exactly one) let this version move now? Every rule with its verdict, computed by the same
   * rules as the move itself, with nothing moved (NotFoundError if the version is not found).
   */
  promotionCheck(
    variables: { modelVersionId: string } & ({ stage: ModelVersionStage; alias?: undefined } | { alias: string; stage?: undefined }),
    options?: RequestOptions,
  ): Promise<PromotionCheck>;

  /** Every environment a model has been deployed to, by name: the version live there (if any) and the latest attempt. */
  modelEnvironments(variables: { modelId: string }, options?: RequestOptions): Promise<Environment[]>;
  /** Deployment attempts of a model's versions, newest first, e.g. `filter: { environment: "prod", status: "DEPLOYED" }` (one page). */
  deployments(variables: DeploymentsQueryVariables, options?: RequestOptions): Promise<Connection<Deployment>>;
  /** Deployment attempts of one version, newest first (one page). */
  modelVersionDeployments(variables: ModelVersionDeploymentsQueryVariables, options?: RequestOptions): Promise<Connection<Deployment>>;
  /** A model's operational log, newest first, e.g. `filter: { success: false }` (one page). */
  modelLogs(variables: ModelLogsQueryVariables, options?: RequestOptions): Promise<Connection<ModelLog>>;
  /**
   * Searches the versions of every project you can see (one page): `filter` by stages, tags (all must match),
   * metric conditions `{name, gt?, gte?, lt?, lte?}`, created ranges, artifact, `anyOf`; `orderBy` a field or
   * `{ metric, direction }` (versions lacking the metric last). Page on with `after: page.pageInfo.endCursor`.
   */
  searchModelVersions(variables?: SearchModelVersionsQueryVariables, options?: RequestOptions): Promise<Connection<ModelVersion>>;

  /** An artifact by global id, or null. */
  resourceById(id: string, options?: RequestOptions): Promise<Resource | null>;
  /** Versions using one artifact (one page). */
  resourceModelVersions(variables: ResourceModelVersionsQueryVariables, options?: RequestOptions): Promise<Connection<ModelVersion>>;
  /** An approval request by global id, or null. */
  transitionRequestById(id: string, options?: RequestOptions): Promise<TransitionRequest | null>;
  /** A webhook by global id, or null. */
  webhookById(id: string, options?: RequestOptions): Promise<Webhook | null>;
  /** The delivery log of a webhook, newest first (one page). */
  webhookDeliveries(variables: WebhookDeliveriesQueryVariables, options?: RequestOptions): Promise<Connection<WebhookDelivery>>;
}

/**
 * Writes: one method per mutation. Each returns the mutation's result union — its `…Payload` or one of the error
 * types it can return — discriminated on `__typename`. Handle the branches with `match` or a `switch`, or call
 * `unwrap` to get the payload and throw a `ModelgraphError` otherwise.
 */
export interface MutationMethods {
  /** Creates a project; you become its ADMIN. */
  createProject(input: CreateProjectInput, options?: RequestOptions): Promise<CreateProjectResult>;
  /** Renames, re-describes, re-tags or (un)deprecates a project. */
  updateProject(input: UpdateProjectInput, options?: RequestOptions): Promise<UpdateProjectResult>;
  /** Archives a project: read-only, hidden from lists, its name free again. */
  archiveProject(input: ArchiveProjectInput, options?: RequestOptions): Promise<ArchiveProjectResult>;
  /** Creates an experiment in a project. */
  createExperiment(input: CreateExperimentInput, options?: RequestOptions): Promise<CreateExperimentResult>;
  /** Renames, re-describes, re-tags or (un)deprecates an experiment. */
  updateExperiment(input: UpdateExperimentInput, options?: RequestOptions): Promise<UpdateExperimentResult>;
  /** Archives an experiment. */
  archiveExperiment(input: ArchiveExperimentInput, options?: RequestOptions): Promise<ArchiveExperimentResult>;
  /** Starts a training run (RUNNING) with the next number of its experiment. */
  createIteration(input: CreateIterationInput, options?: RequestOptions): Promise<CreateIterationResult>;
  /** Appends metric values to a running iteration. */
  logIterationMetrics(input: LogIterationMetricsInput, options?: RequestOptions): Promise<LogIterationMetricsResult>;
  /** Ends a running iteration. */
  finishIteration(input: FinishIterationInput, options?: RequestOptions): Promise<FinishIterationResult>;
  /** Creates a model in a project. */
  createModel(input: CreateModelInput, options?: RequestOptions): Promise<CreateModelResult>;
  /** Renames, re-describes, re-tags a model or changes its approval policy. */
  updateModel(input: UpdateModelInput, options?: RequestOptions): Promise<UpdateModelResult>;
  /** Deprecates a model: still usable, hidden from default lists, reads warn. */
  deprecateModel(input: DeprecateModelInput, options?: RequestOptions): Promise<DeprecateModelResult>;
  /** Archives a model: read-only, no new versions, its name free again. */
  archiveModel(input: ArchiveModelInput, options?: RequestOptions): Promise<ArchiveModelResult>;
  /** Registers the next version of a model (stage NONE). */
  createModelVersion(input: CreateModelVersionInput, options?: RequestOptions): Promise<CreateModelVersionResult>;
  /** Changes a version's description, tags, metrics or lineage. */
  updateModelVersion(input: UpdateModelVersionInput, options?: RequestOptions): Promise<UpdateModelVersionResult>;
  /** Sets one tag of a model or version (`subjectId`: either's id); a version's tags stay editable after review. */
  setTag(input: SetTagInput, options?: RequestOptions): Promise<SetTagResult>;
  /** Removes one tag of a model or version; a key it does not have is a successful no-op. */
  deleteTag(input: DeleteTagInput, options?: RequestOptions): Promise<DeleteTagResult>;
  /** Soft-deletes a version: hidden from lists, number kept, artifact kept. */
  deleteModelVersion(input: DeleteModelVersionInput, options?: RequestOptions): Promise<DeleteModelVersionResult>;
  /** Moves a version to a stage. Entering PRODUCTION archives the previous PRODUCTION version atomically. */
  transitionModelVersionStage(input: TransitionModelVersionStageInput, options?: RequestOptions): Promise<TransitionModelVersionStageResult>;
  /**
   * Points an alias of a model at one of its versions (EDITOR); compare-and-set with `expectedVersionId` (null: the
   * alias must not exist yet) fails with StaleAliasError. A protected alias answers ApprovalRequiredError: request it
   * with `requestModelVersionTransition({ modelVersionId, alias })`.
   */
  setModelAlias(input: SetModelAliasInput, options?: RequestOptions): Promise<SetModelAliasResult>;
  /** Removes an alias of a model (EDITOR); compare-and-set with `expectedVersionId`. */
  removeModelAlias(input: RemoveModelAliasInput, options?: RequestOptions): Promise<RemoveModelAliasResult>;
  /** Returns a previous PRODUCTION version to PRODUCTION, archiving the current one. */
  rollbackModel(input: RollbackModelInput, options?: RequestOptions): Promise<RollbackModelResult>;
  /** Asks for a version to be moved into a stage; another project ADMIN approves or rejects it. One PENDING request per version and stage. */
  requestModelVersionTransition(input: RequestModelVersionTransitionInput, options?: RequestOptions): Promise<RequestModelVersionTransitionResult>;
  /** Approves a request (project ADMIN other than the requester) and moves the version in the same transaction. Fails with InvalidStageTransitionError, leaving the request PENDING, if the version has moved so that the move is no longer allowed. */
  approveTransitionRequest(input: ApproveTransitionRequestInput, options?: RequestOptions): Promise<ApproveTransitionRequestResult>;
  /** Rejects a request (project ADMIN other than the requester); the version stays where it is. */
  rejectTransitionRequest(input: RejectTransitionRequestInput, options?: RequestOptions): Promise<RejectTransitionRequestResult>;
  /** Withdraws a PENDING request (its requester, or a project ADMIN). */
  cancelTransitionRequest(input: CancelTransitionRequestInput, options?: RequestOptions): Promise<CancelTransitionRequestResult>;
  /**
   * Reports a deployment of a version to an environment (deployers use EDITOR tokens): PENDING → DEPLOYING → DEPLOYED |
   * FAILED on the version's open attempt there, or a new attempt after DEPLOYED or FAILED. DEPLOYED retires the
   * environment's previous live deployment (returned in `retired`); a backward move is an InvalidDeploymentTransitionError.
   */
  reportDeployment(input: ReportDeploymentInput, options?: RequestOptions): Promise<ReportDeploymentResult>;
  /** Appends an operational log line to a model (optionally about one of its versions). Lines are never edited. */
  addModelLog(input: AddModelLogInput, options?: RequestOptions): Promise<AddModelLogResult>;
  /** Creates or changes a stage's promotion policy (project ADMIN): approvals, metric gates, must-beat-incumbent rules, requireResource. */
  setPromotionPolicy(input: SetPromotionPolicyInput, options?: RequestOptions): Promise<SetPromotionPolicyResult>;
  /** Removes a stage's promotion policy (project ADMIN); the model's requireApprovalFor still applies. */
  removePromotionPolicy(input: RemovePromotionPolicyInput, options?: RequestOptions): Promise<RemovePromotionPolicyResult>;
  /** Declares an artifact (name, size, sha256); the bytes follow to `uploadUrl` or the presigned URLs. */
  createResourceUpload(input: CreateResourceUploadInput, options?: RequestOptions): Promise<CreateResourceUploadResult>;
  /** Verifies the uploaded bytes (size and sha256) and makes the resource READY; a mismatch makes it FAILED. */
  completeResourceUpload(input: CompleteResourceUploadInput, options?: RequestOptions): Promise<CompleteResourceUploadResult>;
  /** Deletes a resource; its bytes are removed unless another resource of the project has the same content. */
  deleteResource(input: DeleteResourceInput, options?: RequestOptions): Promise<DeleteResourceResult>;
  /** Creates a user or service account (instance admins only); give it a token with createApiToken. */
  createUser(input: CreateUserInput, options?: RequestOptions): Promise<CreateUserResult>;
  /** Deactivates a user (instance admins only): every token of theirs stops at once, their subscriptions end with an error. */
  deactivateUser(input: DeactivateUserInput, options?: RequestOptions): Promise<DeactivateUserResult>;
  /** Lets a deactivated user's tokens work again (instance admins only). */
  reactivateUser(input: ReactivateUserInput, options?: RequestOptions): Promise<ReactivateUserResult>;
  /** Creates an API token. */
  createApiToken(input: CreateApiTokenInput, options?: RequestOptions): Promise<CreateApiTokenResult>;
  /** Revokes one of your tokens (instance admins: anyone's). */
  revokeApiToken(input: RevokeApiTokenInput, options?: RequestOptions): Promise<RevokeApiTokenResult>;
  /** Gives a user a role in a project (project ADMIN). */
  addProjectMember(input: AddProjectMemberInput, options?: RequestOptions): Promise<AddProjectMemberResult>;
  /** Changes a member's role (a project keeps at least one ADMIN). */
  updateProjectMember(input: UpdateProjectMemberInput, options?: RequestOptions): Promise<UpdateProjectMemberResult>;
  /** Removes a member (a project keeps at least one ADMIN). */
  removeProjectMember(input: RemoveProjectMemberInput, options?: RequestOptions): Promise<RemoveProjectMemberResult>;
  /** Adds a webhook to a project (project ADMIN). Events committed from now on are delivered to it. */
  createWebhook(input: CreateWebhookInput, options?: RequestOptions): Promise<CreateWebhookResult>;
  /** Changes a webhook's URL, event types or activity (project ADMIN). */
  updateWebhook(input: UpdateWebhookInput, options?: RequestOptions): Promise<UpdateWebhookResult>;
  /** Deletes a webhook and its delivery log (project ADMIN); nothing more is sent to it. */
  deleteWebhook(input: DeleteWebhookInput, options?: RequestOptions): Promise<DeleteWebhookResult>;
}

/** The read methods that return one page of a connection. */
export type ConnectionMethodName = {
  [K in keyof QueryMethods]: Awaited<ReturnType<QueryMethods[K]>> extends Page<unknown> ? K : never;
}[keyof QueryMethods];

type NodeOfPage<P> = P extends Page<infer T> ? T : never;
type VariablesOf<K extends ConnectionMethodName> = Omit<NonNullable<Parameters<QueryMethods[K]>[0]>, "first" | "after">;

/**
 * `client.paginate.<connection method>(variables, options)`: the same variables as the one-page method (without
 * `first`/`after`), walking every page lazily. See {@link Paginator}.
 */
export type PaginateMethods = {
  [K in ConnectionMethodName]: {} extends VariablesOf<K>
    ? (variables?: VariablesOf<K>, options?: PaginateOptions) => Paginator<NodeOfPage<Awaited<ReturnType<QueryMethods[K]>>>>
    : (variables: VariablesOf<K>, options?: PaginateOptions) => Paginator<NodeOfPage<Awaited<ReturnType<QueryMethods[K]>>>>;
};

/** Variables of `stageChanges` / `watchStageChanges`. */
export interface StageChangeFilter {
  /** The project (global id). */
  projectId: string;
  /** Only this model (global id). */
  modelId?: string | null;
  /** Only moves into these stages. */
  stages?: ModelVersionStage[] | null;
}

/** Variables of `aliasChanges` / `watchAliasChanges`. */
export interface AliasChangeFilter {
  /** The project (global id). */
  projectId: string;
  /** Only this model (global id). */
  modelId?: string | null;
  /** Only moves of these aliases (e.g. `["champion"]`). */
  aliases?: string[] | null;
}

/** Variables of `projectEvents` / `watchProjectEvents`. */
export interface ProjectEventFilter {
  /** The project (global id). */
  projectId: string;
  /** Only these event types. */
  types?: ProjectEventsSubscriptionVariables["types"];
}

/** Live events over graphql-ws, resumable from a cursor. */
export interface SubscriptionMethods {
  /**
   * Stage changes as an async iterable that reconnects and resumes from its last cursor.
   *
   * @example
   * ```ts
   * const changes = client.stageChanges({ projectId, stages: ["PRODUCTION"] }, { after: savedCursor });
   * for await (const change of changes) { deploy(change.modelVersion); save(changes.cursor); }
   * ```
   */
  stageChanges(filter: StageChangeFilter, options?: ResumeOptions): ResumableSubscription<StageChangeEvent>;
  /**
   * Alias moves (set, moved, removed) as an async iterable that reconnects and resumes from its last cursor.
   *
   * @example
   * ```ts
   * for await (const change of client.aliasChanges({ projectId, aliases: ["champion"] }, { after: savedCursor })) deploy(change.toVersion);
   * ```
   */
  aliasChanges(filter: AliasChangeFilter, options?: ResumeOptions): ResumableSubscription<AliasChangeEvent>;
  /** Every event of a project as an async iterable that reconnects and resumes from its last cursor. */
  projectEvents(filter: ProjectEventFilter, options?: ResumeOptions): ResumableSubscription<ProjectEvent>;
  /**
   * Calls `onEvent` for each stage change, one at a time; reconnects and resumes from the cursor of the last event
   * handled. Persist `watch.cursor` (or each event's `cursor` after handling it) and pass it as `after` to resume
   * after a restart with no gap and no duplicate.
   */
  watchStageChanges(options: StageChangeFilter & WatchOptions<StageChangeEvent>): Watch;
  /** Like {@link SubscriptionMethods.watchStageChanges}, for alias moves (`modelAliasChanged`). */
  watchAliasChanges(options: AliasChangeFilter & WatchOptions<AliasChangeEvent>): Watch;
  /** Like {@link SubscriptionMethods.watchStageChanges}, for every event of a project. */
  watchProjectEvents(options: ProjectEventFilter & WatchOptions<ProjectEvent>): Watch;
}

/**
 * A modelgraph client: typed reads and writes, pagination, subscriptions and artifact transfer.
 * `Source` and `Destination` are what `uploadArtifact` and `downloadArtifact` accept on this platform.
 */
export interface ModelgraphClient<Source, Destination> extends QueryMethods, MutationMethods, SubscriptionMethods {
  /** The GraphQL endpoint this client talks to. */
  readonly endpoint: string;
  /** Every connection method, walked page by page: `for await (const v of client.paginate.modelVersions({ modelId }))`. */
  readonly paginate: PaginateMethods;
  /**
   * Runs any operation (e.g. your own lineage query as a TypedDocumentNode) and returns its `data`. Top-level
   * errors throw; mutations are not retried.
   */
  request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables> | DocumentNode | string, variables?: TVariables, options?: RequestOptions & { idempotent?: boolean }): Promise<TResult>;
  /**
   * Uploads an artifact and returns the READY resource: declares it, streams the bytes while hashing them, and
   * reports progress. Without `sha256`, a file or Blob is hashed in a first pass and a stream is spooled first.
   */
  uploadArtifact(source: Source, options: UploadArtifactOptions): Promise<Resource>;
  /**
   * Downloads an artifact to `destination`, verifying its sha256 and size; on a mismatch nothing is left at a
   * destination path (a stream is aborted) and `ArtifactIntegrityError` is thrown.
   */
  downloadArtifact(resource: ResourceRef, destination: Destination, options?: DownloadArtifactOptions): Promise<DownloadResult>;
  /**
   * The version a model URI names (`models:/vision/resnet@champion`, `…/3`, `…/PRODUCTION`, `…@latest`; see
   * `parseModelUri`). A malformed URI throws `ModelUriError`; a project, model or version that does not exist
   * (or is not visible) throws a `NotFoundError` whose `ref` is the URI.
   */
  resolveModelUri(uri: string | ModelUri, options?: RequestOptions): Promise<ModelVersion>;
  /** Closes the subscription connection, if any. The client stays usable. */
  close(): Promise<void>;
}

const MUTATIONS = {
  createProject: CreateProjectDocument,
  updateProject: UpdateProjectDocument,
  archiveProject: ArchiveProjectDocument,
  createExperiment: CreateExperimentDocument,
  updateExperiment: UpdateExperimentDocument,
  archiveExperiment: ArchiveExperimentDocument,
  createIteration: CreateIterationDocument,
  logIterationMetrics: LogIterationMetricsDocument,
  finishIteration: FinishIterationDocument,
  createModel: CreateModelDocument,
  updateModel: UpdateModelDocument,
  deprecateModel: DeprecateModelDocument,
  archiveModel: ArchiveModelDocument,
  createModelVersion: CreateModelVersionDocument,
  updateModelVersion: UpdateModelVersionDocument,
  setTag: SetTagDocument,
  deleteTag: DeleteTagDocument,
  deleteModelVersion: DeleteModelVersionDocument,
  transitionModelVersionStage: TransitionModelVersionStageDocument,
  rollbackModel: RollbackModelDocument,
  setModelAlias: SetModelAliasDocument,
  removeModelAlias: RemoveModelAliasDocument,
  requestModelVersionTransition: RequestModelVersionTransitionDocument,
  approveTransitionRequest: ApproveTransitionRequestDocument,
  rejectTransitionRequest: RejectTransitionRequestDocument,
  cancelTransitionRequest: CancelTransitionRequestDocument,
  reportDeployment: ReportDeploymentDocument,
  addModelLog: AddModelLogDocument,
  setPromotionPolicy: SetPromotionPolicyDocument,
  removePromotionPolicy: RemovePromotionPolicyDocument,
  createResourceUpload: CreateResourceUploadDocument,
  completeResourceUpload: CompleteResourceUploadDocument,
  deleteResource: DeleteResourceDocument,
  createUser: CreateUserDocument,
  deactivateUser: DeactivateUserDocument,
  reactivateUser: ReactivateUserDocument,
  createApiToken: CreateApiTokenDocument,
  revokeApiToken: RevokeApiTokenDocument,
  addProjectMember: AddProjectMemberDocument,
  updateProjectMember: UpdateProjectMemberDocument,
  removeProjectMember: RemoveProjectMemberDocument,
  createWebhook: CreateWebhookDocument,
  updateWebhook: UpdateWebhookDocument,
  deleteWebhook: DeleteWebhookDocument,
} as const;

type MutationDocuments = { [K in keyof MutationMethods]: TypedDocumentNode<{ [P in K]: Awaited<ReturnType<MutationMethods[K]>> }, { input: Parameters<MutationMethods[K]>[0] }> };
// Fails to compile if a document's result or input does not match its method's signature.
const mutationDocuments: MutationDocuments = MUTATIONS;

/** The object of `node` if it has the type, else a NotFoundError (for reads under a parent object). */
function parent<N extends { __typename: string } | null, T extends string>(node: N, typename: T, ref: string, operation: string): Extract<NonNullable<N>, { __typename: T }> {
  if (!node || node.__typename !== typename) throw ModelgraphError.notFound(typename, ref, operation);
  return node as Extract<NonNullable<N>, { __typename: T }>;
}

/** The object of `node` if it has the type, else null (for lookups by id). */
function typed<N extends { __typename: string } | null, T extends string>(node: N, typename: T): Extract<NonNullable<N>, { __typename: T }> | null {
  return node && node.__typename === typename ? (node as Extract<NonNullable<N>, { __typename: T }>) : null;
}

function projectRefText(by: ProjectRef): string {
  return by.id ?? by.name ?? "";
}

/** Creates a client for a platform. Use `createClient` from `@modelgraph/sdk` (it picks the platform). */
export function createClientFor<Source, Destination>(options: ClientOptions, platform: Platform<Source, Destination>): ModelgraphClient<Source, Destination> {
  const endpoint = graphqlEndpoint(options.url);
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const transport = new HttpTransport({
    endpoint,
    token: options.token,
    fetch: fetchImpl,
    headers: options.headers ?? {},
    retries: options.retries ?? 2,
    timeoutMs: options.timeoutMs ?? 60_000,
    onWarning: options.onWarning ?? (() => {}),
  });
  const hub = new WebSocketHub({ endpoint, token: options.token, webSocketImpl: options.webSocketImpl ?? platform.webSocketImpl, keepAliveMs: options.keepAliveMs });

  const query = <R, V>(document: TypedDocumentNode<R, V>, variables: V, requestOptions?: RequestOptions) =>
    transport.execute(document, variables, { ...requestOptions, idempotent: true });

  const queries: QueryMethods = {
    viewer: async (o) => (await query(ViewerDocument, {}, o)).viewer,
    viewerTokens: async (v, o) => (await query(ViewerTokensDocument, v ?? {}, o)).viewer.tokens,
    node: async (id, o) => (await query(NodeDocument, { id }, o)).node,
    nodes: async (ids, o) => (await query(NodesDocument, { ids: [...ids] }, o)).nodes,
    auditLog: async (v, o) => (await query(AuditLogDocument, v ?? {}, o)).auditLog,

    projects: async (v, o) => (await query(ProjectsDocument, v ?? {}, o)).projects,
    project: async (by, o) => (await query(ProjectDocument, { by }, o)).project,
    projectModels: async (v, o) => parentProject((await query(ProjectModelsDocument, v, o)).project, v.project, "projectModels").models,
    projectModelsOverview: async (v, o) => parentProject((await query(ProjectModelsOverviewDocument, v, o)).project, v.project, "projectModelsOverview").models,
    projectExperiments: async (v, o) => parentProject((await query(ProjectExperimentsDocument, v, o)).project, v.project, "projectExperiments").experiments,
    projectResources: async (v, o) => parentProject((await query(ProjectResourcesDocument, v, o)).project, v.project, "projectResources").resources,
    projectModelVersions: async (v, o) => parentProject((await query(ProjectModelVersionsDocument, v, o)).project, v.project, "projectModelVersions").modelVersions,
    projectTransitionRequests: async (v, o) => parentProject((await query(ProjectTransitionRequestsDocument, v, o)).project, v.project, "projectTransitionRequests").transitionRequests,
    projectMembers: async (v, o) => parentProject((await query(ProjectMembersDocument, v, o)).project, v.project, "projectMembers").members,
    projectWebhooks: async (v, o) => parentProject((await query(ProjectWebhooksDocument, v, o)).project, v.project, "projectWebhooks").webhooks,

    experiment: async (v, o) => (await query(ExperimentDocument, v, o)).project?.experiment ?? null,
    experimentById: async (id, o) => typed((await query(ExperimentByIdDocument, { id }, o)).node, "Experiment"),
    experimentIterations: async (v, o) => parent((await query(ExperimentIterationsDocument, v, o)).node, "Experiment", v.experimentId, "experimentIterations").iterations,
    iteration: async (v, o) => typed((await query(IterationDocument, v, o)).node, "Experiment")?.iteration ?? null,
    iterationById: async (id, o) => typed((await query(IterationByIdDocument, { id }, o)).node, "Iteration"),
    iterationMetricHistory: async (v, o) => parent((await query(IterationMetricHistoryDocument, v, o)).node, "Iteration", v.iterationId, "iterationMetricHistory").metricHistory,
    iterationModelVersions: async (v, o) => parent((await query(IterationModelVersionsDocument, v, o)).node, "Iteration", v.iterationId, "iterationModelVersions").modelVersions,
    iterationResources: async (v, o) => parent((await query(IterationResourcesDocument, v, o)).node, "Iteration", v.iterationId, "iterationResources").resources,

    model: async (v, o) => (await query(ModelDocument, v, o)).project?.model ?? null,
    modelById: async (id, o) => typed((await query(ModelByIdDocument, { id }, o)).node, "Model"),
    modelVersions: async (v, o) => parent((await query(ModelVersionsDocument, v, o)).node, "Model", v.modelId, "modelVersions").versions,
    modelVersion: async (v, o) => typed((await query(ModelVersionDocument, v, o)).node, "Model")?.version ?? null,
    modelVersionById: async (id, o) => typed((await query(ModelVersionByIdDocument, { id }, o)).node, "ModelVersion"),
    latestModelVersion: async (v, o) => typed((await query(LatestModelVersionDocument, v, o)).node, "Model")?.latestVersion ?? null,
    productionModelVersion: async (v, o) => typed((await query(ProductionModelVersionDocument, v, o)).node, "Model")?.productionVersion ?? null,
    modelVersionAt: async (v, o) => typed((await query(ModelVersionAtDocument, v, o)).node, "Model")?.versionAt ?? null,
    modelAliases: async (v, o) => {
      const model = typed((await query(ModelAliasesDocument, v, o)).node, "Model");
      return model ? { aliases: model.aliases, protectedAliases: model.protectedAliases } : null;
    },
    modelVersionByAlias: async (v, o) => typed((await query(ModelVersionByAliasDocument, v, o)).node, "Model")?.version ?? null,
    modelVersionAtAlias: async (v, o) => typed((await query(ModelVersionAtAliasDocument, v, o)).node, "Model")?.versionAt ?? null,
    modelAliasHistory: async (v, o) => parent((await query(ModelAliasHistoryDocument, v, o)).node, "Model", v.modelId, "modelAliasHistory").aliasHistory,
    modelStageHistory: async (v, o) => parent((await query(ModelStageHistoryDocument, v, o)).node, "Model", v.modelId, "modelStageHistory").stageHistory,
    modelPendingTransitionRequests: async (v, o) =>
      parent((await query(ModelPendingTransitionRequestsDocument, v, o)).node, "Model", v.modelId, "modelPendingTransitionRequests").pendingTransitionRequests,
    modelVersionLineage: async (id, o) => typed((await query(ModelVersionLineageDocument, { id }, o)).node, "ModelVersion"),
    modelVersionStageHistory: async (v, o) => parent((await query(ModelVersionStageHistoryDocument, v, o)).node, "ModelVersion", v.id, "modelVersionStageHistory").stageHistory,
    modelVersionTransitionRequests: async (v, o) =>
      parent((await query(ModelVersionTransitionRequestsDocument, v, o)).node, "ModelVersion", v.id, "modelVersionTransitionRequests").transitionRequests,
    modelVersionChildVersions: async (v, o) => parent((await query(ModelVersionChildVersionsDocument, v, o)).node, "ModelVersion", v.id, "modelVersionChildVersions").childVersions,
    compareModelVersions: async (v, o) => (await query(CompareModelVersionsDocument, v, o)).compareModelVersions,
    modelPromotionPolicies: async (id, o) => parent((await query(ModelPromotionPoliciesDocument, { id }, o)).node, "Model", id, "modelPromotionPolicies").promotionPolicies,
    promotionCheck: async (v, o) =>
      parent((await query(ModelVersionPromotionCheckDocument, { id: v.modelVersionId, stage: v.stage ?? null, alias: v.alias ?? null }, o)).node, "ModelVersion", v.modelVersionId, "promotionCheck").promotionCheck,

    modelEnvironments: async (v, o) => parent((await query(ModelEnvironmentsDocument, v, o)).node, "Model", v.modelId, "modelEnvironments").environments,
    deployments: async (v, o) => parent((await query(DeploymentsDocument, v, o)).node, "Model", v.modelId, "deployments").deployments,
    modelVersionDeployments: async (v, o) => parent((await query(ModelVersionDeploymentsDocument, v, o)).node, "ModelVersion", v.id, "modelVersionDeployments").deployments,
    modelLogs: async (v, o) => parent((await query(ModelLogsDocument, v, o)).node, "Model", v.modelId, "modelLogs").logs,
    searchModelVersions: async (v, o) => (await query(SearchModelVersionsDocument, v ?? {}, o)).modelVersions,

    resourceById: async (id, o) => typed((await query(ResourceByIdDocument, { id }, o)).node, "Resource"),
    resourceModelVersions: async (v, o) => parent((await query(ResourceModelVersionsDocument, v, o)).node, "Resource", v.resourceId, "resourceModelVersions").modelVersions,
    transitionRequestById: async (id, o) => typed((await query(TransitionRequestByIdDocument, { id }, o)).node, "TransitionRequest"),
    webhookById: async (id, o) => typed((await query(WebhookByIdDocument, { id }, o)).node, "Webhook"),
    webhookDeliveries: async (v, o) => parent((await query(WebhookDeliveriesDocument, v, o)).node, "Webhook", v.webhookId, "webhookDeliveries").deliveries,
  };

  const mutations = Object.fromEntries(
    Object.entries(mutationDocuments).map(([name, document]) => [
      name,
      async (input: Record<string, unknown>, requestOptions?: RequestOptions) => {
        // A retried mutation with an idempotency key returns the same result, so it may be retried.
        const idempotent = typeof input?.idempotencyKey === "string";
        const data = await transport.execute(document as TypedDocumentNode<Record<string, unknown>, unknown>, { input }, { ...requestOptions, idempotent });
        return data[name];
      },
    ]),
  ) as unknown as MutationMethods;

  const paginate = Object.fromEntries(
    (Object.keys(queries) as (keyof QueryMethods)[]).map((name) => [
      name,
      (variables: Record<string, unknown> = {}, paginateOptions: PaginateOptions = {}) =>
        new Paginator(
          (after, first, signal) => (queries[name] as (v: unknown, o?: RequestOptions) => Promise<Page<unknown>>)({ ...variables, first, after }, { signal }),
          paginateOptions,
        ),
    ]),
  ) as unknown as PaginateMethods;

  const stageChanges = (filter: StageChangeFilter, resume: ResumeOptions = {}) =>
    new ResumableSubscription<StageChangeEvent>(
      hub,
      ModelVersionStageChangedDocument as TypedDocumentNode<unknown, unknown>,
      { projectId: filter.projectId, modelId: filter.modelId ?? null, stages: filter.stages ?? null } satisfies Omit<ModelVersionStageChangedSubscriptionVariables, "after">,
      "modelVersionStageChanged",
      resume,
    );
  const projectEvents = (filter: ProjectEventFilter, resume: ResumeOptions = {}) =>
    new ResumableSubscription<ProjectEvent>(
      hub,
      ProjectEventsDocument as TypedDocumentNode<unknown, unknown>,
      { projectId: filter.projectId, types: filter.types ?? null } satisfies Omit<ProjectEventsSubscriptionVariables, "after">,
      "projectEvents",
      resume,
    );

  const aliasChanges = (filter: AliasChangeFilter, resume: ResumeOptions = {}) =>
    new ResumableSubscription<AliasChangeEvent>(
      hub,
      ModelAliasChangedDocument as TypedDocumentNode<unknown, unknown>,
      { projectId: filter.projectId, modelId: filter.modelId ?? null, aliases: filter.aliases ?? null } satisfies Omit<ModelAliasChangedSubscriptionVariables, "after">,
      "modelAliasChanged",
      resume,
    );

  const resolveModelUri = async (uri: string | ModelUri, o?: RequestOptions): Promise<ModelVersion> => {
    const parsed = typeof uri === "string" ? parseModelUri(uri) : uri;
    const model = await queries.model({ project: { name: parsed.project }, name: parsed.model }, o);
    if (!model) throw ModelgraphError.notFound("Model", parsed.uri, "resolveModelUri");
    const { selector } = parsed;
    const version =
      selector.kind === "alias"
        ? await queries.modelVersionByAlias({ modelId: model.id, alias: selector.alias }, o)
        : selector.kind === "number"
          ? await queries.modelVersion({ modelId: model.id, number: selector.number }, o)
          : await queries.latestModelVersion({ modelId: model.id, stages: [selector.stage] }, o);
    if (!version) throw ModelgraphError.notFound("ModelVersion", parsed.uri, "resolveModelUri");
    return version;
  };

  const artifacts: ArtifactContext = {
    endpoint,
    token: options.token,
    fetch: fetchImpl,
    platform: platform as Platform<unknown, unknown>,
    createResourceUpload: (input, signal) => mutations.createResourceUpload(input, { signal }),
    completeResourceUpload: (resourceId, signal) => mutations.completeResourceUpload({ resourceId }, { signal }),
    resourceById: (id, signal) => queries.resourceById(id, { signal }),
  };

  return {
    ...queries,
    ...mutations,
    endpoint,
    paginate,
    request: (document, variables, requestOptions) =>
      transport.execute(document, variables, { ...requestOptions, idempotent: requestOptions?.idempotent ?? false }),
    stageChanges,
    projectEvents,
    aliasChanges,
    watchAliasChanges: ({ onEvent, onError, ...rest }) => runWatch(aliasChanges(rest, rest), { ...rest, onEvent, onError }),
    resolveModelUri,
    watchStageChanges: ({ onEvent, onError, ...rest }) => runWatch(stageChanges(rest, rest), { ...rest, onEvent, onError }),
    watchProjectEvents: ({ onEvent, onError, ...rest }) => runWatch(projectEvents(rest, rest), { ...rest, onEvent, onError }),
    uploadArtifact: async (source, uploadOptions) => uploadWith(artifacts, await platform.openSource(source), uploadOptions),
    downloadArtifact: (resource, destination, downloadOptions) =>
      downloadWith(artifacts, resource, (fileName) => platform.openDestination(destination, fileName), downloadOptions),
    close: () => hub.dispose(),
  };
}

/** A project that must exist for a read under it. */
function parentProject<P>(project: P | null, by: ProjectRef, operation: string): P {
  if (!project) throw ModelgraphError.notFound("Project", projectRefText(by), operation);
  return project;
}
