// The stream settings: a token is never shown back, and a subject prefix or stream name cannot carry wildcards or spaces.
import { describe, expect, it } from "vitest";
import { isArbiterError } from "../../src/record/index.js";
import { streamingOptions } from "../../src/runtime/index.js";
import { formatSetting, loadSettings } from "../../src/runtime/settings/index.js";
import { arbiter, tempDir } from "../support/cli.js";

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    loadSettings({ env });
  } catch (err) {
    if (isArbiterError(err)) return `${err.code}: ${err.message}`;
  }
  return "accepted";
}

describe("stream settings", () => {
  it("is off by default: no sink, no follower", () => {
    const { stream } = loadSettings({ env: {} }).settings;
    expect(stream.nats_url).toBeNull();
    expect(streamingOptions(stream, () => undefined)).toBeUndefined();
  });

  it("never prints a NATS token back", () => {
    const { settings } = loadSettings({ env: { ARBITER_STREAM_NATS_URL: "nats://127.0.0.1:4222", ARBITER_STREAM_NATS_TOKEN: "s3cr3t-token" } });
    expect(settings.stream.nats_token).toBe("s3cr3t-token");
    expect(formatSetting("stream.nats_token", settings.stream.nats_token)).toBe("(set, not shown)");
    expect(streamingOptions(settings.stream, () => undefined)?.nats).toMatchObject({ servers: "nats://127.0.0.1:4222", token: "s3cr3t-token", subjectPrefix: "arbiter.records", stream: "ARBITER_RECORDS" });
  });

  it("never prints OTLP header values back, and hands them to the exporter as a map", () => {
    const { settings } = loadSettings({ env: { ARBITER_STREAM_OTLP_ENDPOINT: "https://collector.example:4318/v1/logs", ARBITER_STREAM_OTLP_HEADERS: "Authorization=Bearer tok-123=x, X-Scope=ops" } });
    expect(formatSetting("stream.otlp_headers", settings.stream.otlp_headers)).toBe("Authorization=(not shown),X-Scope=(not shown)");
    expect(streamingOptions(settings.stream, () => undefined)).toMatchObject({ otlp: { endpoint: "https://collector.example:4318/v1/logs", headers: { Authorization: "Bearer tok-123=x", "X-Scope": "ops" }, timeoutMs: 5000 } });
    expect(streamingOptions(settings.stream, () => undefined)?.nats).toBeUndefined();
  });

  it("arbiter config show, in text or JSON, says a token and header values are set but never prints them", () => {
    const env = { ARBITER_STREAM_NATS_TOKEN: "nats-tok-8d2e", ARBITER_STREAM_OTLP_HEADERS: "Authorization=Bearer otlp-tok-51aa" };
    const data = tempDir("arbiter-stream-config-");
    for (const args of [["config", "show", "--data", data], ["config", "show", "--json", "--data", data]]) {
      const shown = arbiter(args, { env });
      expect(shown.status).toBe(0);
      expect(shown.stdout).toContain("(set, not shown)");
      expect(shown.stdout).toContain("Authorization=(not shown)");
      expect(shown.stdout).not.toMatch(/nats-tok-8d2e|otlp-tok-51aa/);
    }
  });

  it("refuses an invalid token or header without repeating it", () => {
    expect(refusal({ ARBITER_STREAM_NATS_TOKEN: "tok en-77f1" })).toBe("SETTINGS_INVALID: $ARBITER_STREAM_NATS_TOKEN must be off, or a NATS authentication token; got a value that is not shown");
    expect(refusal({ ARBITER_STREAM_OTLP_HEADERS: "Authorization=Bearer ok-1, X-Bad=tok\u0007-77f1" })).toMatch(/^SETTINGS_INVALID: \$ARBITER_STREAM_OTLP_HEADERS must be .*; got 2 header\(s\), values not shown$/);
  });

  it.each([
    ["ARBITER_STREAM_OTLP_ENDPOINT", "ftp://collector/v1/logs"],
    ["ARBITER_STREAM_OTLP_HEADERS", "Authorization: Bearer x"],
    ["ARBITER_STREAM_OTLP_HEADERS", "Bad Name=x"],
    ["ARBITER_STREAM_OTLP_HEADERS", "X-Evil=a\u0000b"],
    ["ARBITER_STREAM_OTLP_HEADERS", "X-Evil=a\r\nX-Forged: b"],
    ["ARBITER_STREAM_NATS_SUBJECT_PREFIX", "arbiter.>"],
    ["ARBITER_STREAM_NATS_SUBJECT_PREFIX", "arbiter.*"],
    ["ARBITER_STREAM_NATS_SUBJECT_PREFIX", "arbiter records"],
    ["ARBITER_STREAM_NATS_SUBJECT_PREFIX", "arbiter..records"],
    ["ARBITER_STREAM_NATS_SUBJECT_PREFIX", ".records"],
    ["ARBITER_STREAM_NATS_STREAM", "A.B"],
    ["ARBITER_STREAM_NATS_URL", "http://127.0.0.1:4222"],
    ["ARBITER_STREAM_NATS_URL", "nats://user:pw@127.0.0.1:4222"],
  ])("refuses %s=%j", (name, value) => {
    expect(refusal({ [name]: value })).toMatch(new RegExp(`^SETTINGS_INVALID: \\$${name} must be `));
  });
});
