// The MCP enforcement gateway: a stdio wrapper and a Streamable HTTP front that decide every acting call before an upstream sees it.
export { DEFAULT_LIMITS, SERVER_NAME, runWrap, serverNameFrom, upstreamEnvironment, type WrapOptions } from "./wrap.js";
export { McpHttpFront, type HttpFrontOptions } from "./http-front.js";
export { McpGateway, type GatewayOptions } from "./gateway.js";
export type { Limits } from "./enforce.js";
export { Upstream, type UpstreamSpec } from "./upstream.js";
export { GuardedStdioTransport, MAX_MESSAGE_BYTES } from "./stdio-transport.js";
export { META, GET_PROMPT, PROMPT_TYPE, READ_RESOURCE, RESOURCE_TYPE, TOOL_TYPE, correlationOf, type Caller } from "./mapping.js";
export { REFUSAL_META_KEY, REFUSED_BY_POLICY, refusalText, type Refusal } from "./answers.js";
export { UPSTREAMS_FILE, UPSTREAM_NAME, addUpstream, readUpstreams, removeUpstream, upstreamConfigSchema, upstreamSpec, type UpstreamConfig } from "./upstreams-file.js";
export { TOOL_ENTITY_TEXT, cedarType, checkPrincipalTypes, mergeToolSchema, readUpstreamTools, toolActions, toolSchemaText } from "./tool-schema.js";
