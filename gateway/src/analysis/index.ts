import type { DocumentNode } from 'graphql';
import { buildAuthorizationPolicy } from '../authorization/policy.js';
import type { GatewayContext } from '../context.js';
import { CostModel } from './costModel.js';
import { OperationAnalyzer, type AnalysisLimits, type OperationAnalysis, type SupergraphModel } from './operation.js';

export { CostModel } from './costModel.js';
export type { AnalysisLimits, ExceededLimit, OperationAnalysis, SupergraphModel } from './operation.js';

/** What the analysis reads of a request, as Apollo's hooks and the gateway executor both have it. */
export interface AnalysedRequest {
  readonly context: GatewayContext;
  readonly document: DocumentNode;
  readonly operationName: string | null | undefined;
  readonly variables: Readonly<Record<string, unknown>> | undefined;
}

/** Everything Brigade reads from one loaded supergraph: the authorization policy and the cost model. */
export function loadSupergraphModel(coreSupergraphSdl: string): SupergraphModel {
  return { policy: buildAuthorizationPolicy(coreSupergraphSdl), cost: CostModel.fromSupergraph(coreSupergraphSdl) };
}

/**
 * The gateway's one analysis of each operation, shared by every rule (root fields, cost, credential-field
 * budgets, authorization). Computed at most once per request, and cached with the parsed document for the
 * loaded supergraph; a new supergraph starts a new cache.
 */
export class Analysis {
  private analyzer: OperationAnalyzer | undefined;
  private readonly perRequest = new WeakMap<GatewayContext, { document: DocumentNode; result: OperationAnalysis | undefined }>();

  constructor(private readonly limits: AnalysisLimits) {}

  /** Called on every supergraph load, before Apollo Server sees the new schema. */
  update(model: SupergraphModel): void {
    this.analyzer = new OperationAnalyzer(model, this.limits);
  }

  /** The model could not be built: every operation is refused until the next load. */
  clear(): void {
    this.analyzer = undefined;
  }

  get model(): SupergraphModel | undefined {
    return this.analyzer?.model;
  }

  /** Undefined when the operation does not exist (Apollo reports it) or no supergraph is loaded yet. */
  of(request: AnalysedRequest): OperationAnalysis | undefined {
    const known = this.perRequest.get(request.context);
    if (known && known.document === request.document) return known.result;
    const result = this.analyzer?.analyse(request.document, request.operationName, request.variables ?? {});
    this.perRequest.set(request.context, { document: request.document, result });
    return result;
  }
}
