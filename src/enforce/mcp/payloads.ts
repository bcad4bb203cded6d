// Where a model reads an MCP result: tool content text and structured content, resource text contents, prompt message text.
import type { CallToolResult, ContentBlock, GetPromptResult, ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import { maskJson, maskText, type MaskSpec, type MaskTally } from "../masking/index.js";

function maskBlock(block: ContentBlock, spec: MaskSpec, tally: MaskTally, at: string): ContentBlock {
  if (block.type === "text") return { ...block, text: maskText(block.text, spec, tally, `${at}.text`) };
  if (block.type === "resource" && "text" in block.resource && typeof block.resource.text === "string") {
    return { ...block, resource: { ...block.resource, text: maskText(block.resource.text, spec, tally, `${at}.resource.text`) } };
  }
  // Images, audio, blobs and links carry no text a detector could read.
  return block;
}

export function maskToolResult(result: CallToolResult, spec: MaskSpec, tally: MaskTally): CallToolResult {
  return {
    ...result,
    content: result.content.map((block, i) => maskBlock(block, spec, tally, `$.content[${i}]`)),
    ...(result.structuredContent !== undefined ? { structuredContent: maskJson(result.structuredContent, spec, tally, "$.structuredContent") as Record<string, unknown> } : {}),
  };
}

export function maskResourceResult(result: ReadResourceResult, spec: MaskSpec, tally: MaskTally): ReadResourceResult {
  return {
    ...result,
    contents: result.contents.map((c, i) => ("text" in c && typeof c.text === "string" ? { ...c, text: maskText(c.text, spec, tally, `$.contents[${i}].text`) } : c)),
  };
}

export function maskPromptResult(result: GetPromptResult, spec: MaskSpec, tally: MaskTally): GetPromptResult {
  return {
    ...result,
    messages: result.messages.map((m, i) => ({ ...m, content: maskBlock(m.content, spec, tally, `$.messages[${i}].content`) })),
  };
}
