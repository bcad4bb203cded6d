// The operator's credential for this tab: sessionStorage only (never a URL, a cookie or localStorage), gone when the tab closes.
const KEY = "arbiter.console.credential";

export function storedCredential(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function storeCredential(credential: string): void {
  sessionStorage.setItem(KEY, credential);
}

export function forgetCredential(): void {
  sessionStorage.removeItem(KEY);
}
