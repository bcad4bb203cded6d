// The identity capability's front door: identities, owners, lifecycle, API keys, tokens, delegation and authentication.
export { bearerCredential } from "./bearer.js";
export { IdentityDirectory, type IdentityDirectoryOptions } from "./directory.js";
export type { AuthFailureReason, AuthResult, Authenticated, Subject, SubjectRef, SubjectResult } from "./authenticate.js";
export { MAX_DELEGATION_DEPTH, type DelegationLink } from "./delegation.js";
export { MAX_GRACE_SECONDS, type IssuedApiKey, type RotatedApiKey } from "./key-issue.js";
export {
  DEFAULT_TOKEN_SETTINGS,
  type IssueTokenOptions,
  type IssuedToken,
  type TokenExchangeRequest,
  type TokenSettings,
} from "./token-issue.js";
export type { TaskCompletion } from "./tasks.js";
export type { TaskRow as TaskInfo } from "../store/index.js";
export { ACTOR_ENV, localAccount, type LocalAccount } from "./local-account.js";
export { assertionRefusal, type Assertion } from "./assertion-scope.js";
export { TOKEN_AUDIENCE } from "./jwt.js";
export { TOKEN_KEY_FILE, ensureTokenKey, type PublicJwk } from "./signing-key.js";
export {
  ATTRIBUTES_LIMIT_BYTES,
  ROLES,
  actorSchema,
  assertionScopeSchema,
  createIdentitySchema,
  identityIdSchema,
  identityStatusSchema,
  listFilterSchema,
  roleSchema,
  taskIdSchema,
  updateIdentitySchema,
  type Actor,
  type AssertionScope,
  type CreateIdentityInput,
  type CredentialInfo,
  type CredentialKind,
  type CredentialStatus,
  type Identity,
  type IdentityStatus,
  type ListFilter,
  type ManagedType,
  type Role,
  type UpdateIdentityInput,
} from "./schema.js";
