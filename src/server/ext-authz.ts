// Envoy's gRPC ext_authz on a port of its own (gRPC needs HTTP/2; the API server speaks HTTP/1.1), over the same checks as forward-auth.
import type { Metadata, sendUnaryData, ServerUnaryCall } from "@grpc/grpc-js";
import { HeaderView, PEP_METADATA_KEY, authorizationService, checkResponse, envoyRequest, grpcJs, originalRequest, type EnvoyCheckRequest } from "../enforce/http/index.js";
import type { Gateways } from "../runtime/index.js";
import { pepOf } from "./routes/forward-auth.js";

export interface ExtAuthzListen {
  host: string;
  /** 0: any free port. */
  port: number;
}

export interface ExtAuthzServer {
  port: number;
  close(): Promise<void>;
}

/** Largest CheckRequest read (the body Envoy sends with with_request_body is in it). */
const MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

function metadataView(metadata: Metadata): HeaderView {
  const values = metadata.get(PEP_METADATA_KEY).map((v) => (typeof v === "string" ? v : v.toString("latin1")));
  return HeaderView.fromPairs(values.map((v) => [PEP_METADATA_KEY, v] as const));
}

export async function listenExtAuthz({ runtime, http }: Gateways, listen: ExtAuthzListen, log: (line: string) => void): Promise<ExtAuthzServer> {
  const { Server, ServerCredentials, status: grpcStatus } = grpcJs();
  const server = new Server({ "grpc.max_receive_message_length": MAX_MESSAGE_BYTES });
  server.addService(authorizationService(), {
    Check: (call: ServerUnaryCall<EnvoyCheckRequest, unknown>, callback: sendUnaryData<unknown>) => {
      const check = async (): Promise<Record<string, unknown>> => {
        const request = envoyRequest(call.request);
        const { pep, caller, problem } = await pepOf(runtime.identities, metadataView(call.metadata));
        const original = request.problem
          ? { ok: false as const, problem: request.problem }
          : originalRequest(request.headers, request.method ?? "", request.path ?? "", request.host);
        const result = await http.check({
          pep,
          ...(caller ? { caller } : {}),
          ...(problem ? { pepProblem: problem } : {}),
          original: original.ok && request.scheme && !original.original.scheme ? { ok: true, original: { ...original.original, scheme: request.scheme } } : original,
          headers: request.headers,
          ...(request.body ? { body: request.body } : {}),
          canMask: false,
        });
        return checkResponse(result);
      };
      check().then(
        (response) => callback(null, response),
        (err: unknown) => {
          // The check itself fails closed (an answer of 503); reaching here is a bug, and Envoy denies on an RPC error.
          log(`arbiter ext_authz: ${err instanceof Error ? err.message : String(err)}`);
          callback({ code: grpcStatus.INTERNAL, details: "the check failed; the request is refused" });
        },
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(`${listen.host.includes(":") ? `[${listen.host}]` : listen.host}:${listen.port}`, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))));
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
