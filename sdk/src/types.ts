// Friendly names for the shapes the SDK returns (the generated fragment and operation types), and one
// `${Mutation}Result` union per mutation.
import type {
  ApiTokenFieldsFragment,
  AuditEntryFieldsFragment,
  ComparisonFieldsFragment,
  DeploymentFieldsFragment,
  EnvironmentFieldsFragment,
  ModelLogFieldsFragment,
  ReportDeploymentMutation,
  AddModelLogMutation,
  EventFieldsFragment,
  ExperimentFieldsFragment,
  IterationFieldsFragment,
  IterationMetricHistoryQuery,
  ModelFieldsFragment,
  ModelVersionFieldsFragment,
  ModelVersionLineageQuery,
  PromotionCheckFieldsFragment,
  PromotionPolicyFieldsFragment,
  PolicyViolationFieldsFragment,
  SetPromotionPolicyMutation,
  RemovePromotionPolicyMutation,
  PageInfoFieldsFragment,
  ProjectFieldsFragment,
  ProjectMemberFieldsFragment,
  ProjectModelsOverviewQuery,
  ResourceFieldsFragment,
  StageChangeEventFieldsFragment,
  ModelAliasFieldsFragment,
  AliasChangeFieldsFragment,
  ModelAliasChangedSubscription,
  SetModelAliasMutation,
  RemoveModelAliasMutation,
  StageTransitionFieldsFragment,
  TransitionRequestFieldsFragment,
  UserFieldsFragment,
  WebhookDeliveryFieldsFragment,
  WebhookFieldsFragment,
  CreateProjectMutation,
  UpdateProjectMutation,
  ArchiveProjectMutation,
  CreateExperimentMutation,
  UpdateExperimentMutation,
  ArchiveExperimentMutation,
  CreateIterationMutation,
  LogIterationMetricsMutation,
  FinishIterationMutation,
  CreateModelMutation,
  UpdateModelMutation,
  DeprecateModelMutation,
  ArchiveModelMutation,
  CreateModelVersionMutation,
  UpdateModelVersionMutation,
  SetTagMutation,
  DeleteTagMutation,
  DeleteModelVersionMutation,
  TransitionModelVersionStageMutation,
  RollbackModelMutation,
  RequestModelVersionTransitionMutation,
  ApproveTransitionRequestMutation,
  RejectTransitionRequestMutation,
  CancelTransitionRequestMutation,
  CreateResourceUploadMutation,
  CompleteResourceUploadMutation,
  DeleteResourceMutation,
  CreateUserMutation,
  DeactivateUserMutation,
  ReactivateUserMutation,
  CreateApiTokenMutation,
  RevokeApiTokenMutation,
  AddProjectMemberMutation,
  UpdateProjectMemberMutation,
  RemoveProjectMemberMutation,
  CreateWebhookMutation,
  UpdateWebhookMutation,
  DeleteWebhookMutation,
} from "./generated/graphql.ts";

/** A project as the SDK reads it. */
export type Project = ProjectFieldsFragment;
/** An experiment (a line of training work). */
export type Experiment = ExperimentFieldsFragment;
/** A training run of an experiment: params, latest metrics, tags. */
export type Iteration = IterationFieldsFragment;
/** One logged value of a metric. */
export type MetricPoint = Extract<NonNullable<IterationMetricHistoryQuery["node"]>, { __typename: "Iteration" }>["metricHistory"][number];
/** A model of a project. */
export type Model = ModelFieldsFragment;
/** A model with its PRODUCTION and latest version numbers (from `projectModelsOverview`). */
export type ModelOverview = NonNullable<ProjectModelsOverviewQuery["project"]>["models"]["nodes"][number];
/** A model version with its stage, metrics and direct lineage (iteration, resource, parent). */
export type ModelVersion = ModelVersionFieldsFragment;
/** A model version with its whole lineage (as returned by `modelVersionLineage`). */
export type ModelVersionLineage = Extract<NonNullable<ModelVersionLineageQuery["node"]>, { __typename: "ModelVersion" }>;
/** An artifact: the bytes of a model. */
export type Resource = ResourceFieldsFragment;
/** One recorded stage move. */
export type StageTransition = StageTransitionFieldsFragment;
/** A request to move a version into a stage that needs approval. */
export type TransitionRequest = TransitionRequestFieldsFragment;
/** A user or service account. */
export type User = UserFieldsFragment;
/** An API token (never its secret, which only `createApiToken` returns). */
export type ApiToken = ApiTokenFieldsFragment;
/** A member of a project and their role. */
export type ProjectMember = ProjectMemberFieldsFragment;
/** A webhook of a project. */
export type Webhook = WebhookFieldsFragment;
/** One event sent (or to be sent) to a webhook. */
export type WebhookDelivery = WebhookDeliveryFieldsFragment;
/** One audit log entry. */
export type AuditEntry = AuditEntryFieldsFragment;
/** One entry of a project's event log (from `projectEvents`). */
export type ProjectEvent = EventFieldsFragment;
/** A version changed stage (from `modelVersionStageChanged`). */
export type StageChangeEvent = StageChangeEventFieldsFragment;
/** An alias of a model and the version it points at. */
export type ModelAlias = ModelAliasFieldsFragment;
/** One recorded move of an alias (from `modelAliasHistory` and the alias mutations). */
export type AliasChange = AliasChangeFieldsFragment;
/** An alias was set, moved or removed (from `modelAliasChanged`). */
export type AliasChangeEvent = ModelAliasChangedSubscription["modelAliasChanged"];
/** How two versions differ (from `compareModelVersions`). */
export type ModelVersionComparison = ComparisonFieldsFragment;
/** One attempt to deploy a version to an environment. */
export type Deployment = DeploymentFieldsFragment;
/** An environment of a model: its live version and latest attempt (from `modelEnvironments`). */
export type Environment = EnvironmentFieldsFragment;
/** An operational log line of a model. */
export type ModelLog = ModelLogFieldsFragment;
/** A stage's promotion policy (from `modelPromotionPolicies`, `setPromotionPolicy`). */
export type PromotionPolicy = PromotionPolicyFieldsFragment;
/** The verdict of a stage's promotion policy on moving a version now (from `promotionCheck`). */
export type PromotionCheck = PromotionCheckFieldsFragment;
/** A promotion policy rule a version breaks (in `PolicyViolationError.violations` and `PromotionCheck.violations`). */
export type PolicyViolation = PolicyViolationFieldsFragment;
/** Where a page stands in its connection. */
export type PageInfoData = PageInfoFieldsFragment;
/** What `node(id)` / `nodes(ids)` tell about an id: its type. */
export interface NodeRef {
  /** The object's GraphQL type, e.g. `"ModelVersion"`. */
  readonly __typename: string;
  /** Its global id. */
  readonly id: string;
}

/** Result of `createProject`: `CreateProjectPayload` or one of its error types. */
export type CreateProjectResult = CreateProjectMutation["createProject"];
/** Result of `updateProject`: `UpdateProjectPayload` or one of its error types. */
export type UpdateProjectResult = UpdateProjectMutation["updateProject"];
/** Result of `archiveProject`: `ArchiveProjectPayload` or one of its error types. */
export type ArchiveProjectResult = ArchiveProjectMutation["archiveProject"];
/** Result of `createExperiment`: `CreateExperimentPayload` or one of its error types. */
export type CreateExperimentResult = CreateExperimentMutation["createExperiment"];
/** Result of `updateExperiment`: `UpdateExperimentPayload` or one of its error types. */
export type UpdateExperimentResult = UpdateExperimentMutation["updateExperiment"];
/** Result of `archiveExperiment`: `ArchiveExperimentPayload` or one of its error types. */
export type ArchiveExperimentResult = ArchiveExperimentMutation["archiveExperiment"];
/** Result of `createIteration`: `CreateIterationPayload` or one of its error types. */
export type CreateIterationResult = CreateIterationMutation["createIteration"];
/** Result of `logIterationMetrics`: `LogIterationMetricsPayload` or one of its error types. */
export type LogIterationMetricsResult = LogIterationMetricsMutation["logIterationMetrics"];
/** Result of `finishIteration`: `FinishIterationPayload` or one of its error types. */
export type FinishIterationResult = FinishIterationMutation["finishIteration"];
/** Result of `createModel`: `CreateModelPayload` or one of its error types. */
export type CreateModelResult = CreateModelMutation["createModel"];
/** Result of `updateModel`: `UpdateModelPayload` or one of its error types. */
export type UpdateModelResult = UpdateModelMutation["updateModel"];
/** Result of `deprecateModel`: `DeprecateModelPayload` or one of its error types. */
export type DeprecateModelResult = DeprecateModelMutation["deprecateModel"];
/** Result of `archiveModel`: `ArchiveModelPayload` or one of its error types. */
export type ArchiveModelResult = ArchiveModelMutation["archiveModel"];
/** Result of `createModelVersion`: `CreateModelVersionPayload` or one of its error types. */
export type CreateModelVersionResult = CreateModelVersionMutation["createModelVersion"];
/** Result of `updateModelVersion`: `UpdateModelVersionPayload` or one of its error types. */
export type UpdateModelVersionResult = UpdateModelVersionMutation["updateModelVersion"];
/** Result of `setTag`: `SetTagPayload` or one of its error types. */
export type SetTagResult = SetTagMutation["setTag"];
/** Result of `deleteTag`: `DeleteTagPayload` or one of its error types. */
export type DeleteTagResult = DeleteTagMutation["deleteTag"];
/** Result of `deleteModelVersion`: `DeleteModelVersionPayload` or one of its error types. */
export type DeleteModelVersionResult = DeleteModelVersionMutation["deleteModelVersion"];
/** Result of `transitionModelVersionStage`: `TransitionModelVersionStagePayload` or one of its error types. */
export type TransitionModelVersionStageResult = TransitionModelVersionStageMutation["transitionModelVersionStage"];
export type SetModelAliasResult = SetModelAliasMutation["setModelAlias"];
export type RemoveModelAliasResult = RemoveModelAliasMutation["removeModelAlias"];
/** Result of `rollbackModel`: `RollbackModelPayload` or one of its error types. */
export type RollbackModelResult = RollbackModelMutation["rollbackModel"];
/** Result of `requestModelVersionTransition`: `RequestModelVersionTransitionPayload` or one of its error types. */
export type RequestModelVersionTransitionResult = RequestModelVersionTransitionMutation["requestModelVersionTransition"];
/** Result of `approveTransitionRequest`: `ApproveTransitionRequestPayload` or one of its error types. */
export type ApproveTransitionRequestResult = ApproveTransitionRequestMutation["approveTransitionRequest"];
/** Result of `rejectTransitionRequest`: `RejectTransitionRequestPayload` or one of its error types. */
export type RejectTransitionRequestResult = RejectTransitionRequestMutation["rejectTransitionRequest"];
/** Result of `cancelTransitionRequest`: `CancelTransitionRequestPayload` or one of its error types. */
export type CancelTransitionRequestResult = CancelTransitionRequestMutation["cancelTransitionRequest"];
/** Result of `createResourceUpload`: `CreateResourceUploadPayload` or one of its error types. */
export type CreateResourceUploadResult = CreateResourceUploadMutation["createResourceUpload"];
/** Result of `completeResourceUpload`: `CompleteResourceUploadPayload` or one of its error types. */
export type CompleteResourceUploadResult = CompleteResourceUploadMutation["completeResourceUpload"];
/** Result of `deleteResource`: `DeleteResourcePayload` or one of its error types. */
export type DeleteResourceResult = DeleteResourceMutation["deleteResource"];
/** Result of `createUser`: `CreateUserPayload` or one of its error types. */
export type CreateUserResult = CreateUserMutation["createUser"];
export type DeactivateUserResult = DeactivateUserMutation["deactivateUser"];
export type ReactivateUserResult = ReactivateUserMutation["reactivateUser"];
/** Result of `createApiToken`: `CreateApiTokenPayload` or one of its error types. */
export type CreateApiTokenResult = CreateApiTokenMutation["createApiToken"];
/** Result of `revokeApiToken`: `RevokeApiTokenPayload` or one of its error types. */
export type RevokeApiTokenResult = RevokeApiTokenMutation["revokeApiToken"];
/** Result of `addProjectMember`: `AddProjectMemberPayload` or one of its error types. */
export type AddProjectMemberResult = AddProjectMemberMutation["addProjectMember"];
/** Result of `updateProjectMember`: `UpdateProjectMemberPayload` or one of its error types. */
export type UpdateProjectMemberResult = UpdateProjectMemberMutation["updateProjectMember"];
/** Result of `removeProjectMember`: `RemoveProjectMemberPayload` or one of its error types. */
export type RemoveProjectMemberResult = RemoveProjectMemberMutation["removeProjectMember"];
/** Result of `createWebhook`: `CreateWebhookPayload` or one of its error types. */
export type CreateWebhookResult = CreateWebhookMutation["createWebhook"];
/** Result of `updateWebhook`: `UpdateWebhookPayload` or one of its error types. */
export type UpdateWebhookResult = UpdateWebhookMutation["updateWebhook"];
/** Result of `deleteWebhook`: `DeleteWebhookPayload` or one of its error types. */
export type DeleteWebhookResult = DeleteWebhookMutation["deleteWebhook"];
/** Result of `reportDeployment`: `ReportDeploymentPayload` or one of its error types. */
export type ReportDeploymentResult = ReportDeploymentMutation["reportDeployment"];
/** Result of `addModelLog`: `AddModelLogPayload` or one of its error types. */
export type AddModelLogResult = AddModelLogMutation["addModelLog"];
/** Result of `setPromotionPolicy`: `SetPromotionPolicyPayload` or one of its error types. */
export type SetPromotionPolicyResult = SetPromotionPolicyMutation["setPromotionPolicy"];
/** Result of `removePromotionPolicy`: `RemovePromotionPolicyPayload` or one of its error types. */
export type RemovePromotionPolicyResult = RemovePromotionPolicyMutation["removePromotionPolicy"];
