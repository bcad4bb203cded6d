// One parser for `Authorization: Bearer <credential>`, shared by the API, the MCP front and HTTP enforcement.
import { describe, expect, it } from "vitest";
import { bearerCredential } from "../../src/identity/index.js";

describe("bearerCredential", () => {
  it.each([
    ["Bearer ak_live_123", "ak_live_123"],
    ["bearer ak_live_123", "ak_live_123"],
    ["BEARER   eyJ.a.b  ", "eyJ.a.b"],
  ])("reads %j", (header, credential) => {
    expect(bearerCredential(header)).toBe(credential);
  });

  it.each([
    [undefined],
    [""],
    ["Bearer"],
    ["Bearer "],
    ["Bearer\tak_live_123"],
    ["Bearer ak_live_123 extra"],
    ["Basic YWxhZGRpbjpvcGVuc2VzYW1l"],
    [" Bearer ak_live_123"],
    ["Bearerak_live_123"],
  ])("refuses %j", (header) => {
    expect(bearerCredential(header)).toBeUndefined();
  });
});
