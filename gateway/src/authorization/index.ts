export { buildAuthorizationPolicy, type AuthorizationPolicy, type DenialCode, type Requirement } from './policy.js';
export { filterOperation, TYPENAME_KEY, type FilterResult, type Removal } from './filter.js';
export { applyRemovals, UNAUTHORIZED_MESSAGE, type ExecutionResultLike } from './removals.js';
