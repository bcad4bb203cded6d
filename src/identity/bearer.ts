// The one reading of `Authorization: Bearer <credential>` (RFC 6750 §2.1), for every door that takes a credential.

/**
 * The credential of a Bearer authorization header, or undefined when the header is absent or is not
 * exactly the scheme (any case), spaces, one credential and optional trailing spaces. Tabs and other
 * whitespace are refused: RFC 7235 separates the scheme with spaces only, and a proxy in front may
 * read a header that another parser split differently.
 */
export function bearerCredential(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return /^Bearer +(\S+) *$/i.exec(header)?.[1];
}
