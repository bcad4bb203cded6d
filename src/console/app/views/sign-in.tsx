// The only page an operator without a credential sees.
import { useState } from "preact/hooks";

export function SignIn({ message, onSignIn }: { message: string | undefined; onSignIn: (credential: string) => void }) {
  const [value, setValue] = useState("");
  return (
    <main class="sign-in">
      <h1>Arbiter console</h1>
      <p>Sign in with your operator credential: an API key or token of an identity with the admin, approver or auditor role.</p>
      {message && (
        <p class="error" role="alert">
          {message}
        </p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const credential = value.trim();
          if (credential) onSignIn(credential);
        }}
      >
        <label for="credential">Operator credential</label>
        <input id="credential" type="password" autocomplete="off" spellcheck={false} value={value} onInput={(e) => setValue(e.currentTarget.value)} required />
        <button type="submit">Sign in</button>
      </form>
      <p class="hint">The credential stays in this tab's session storage and is sent only as an Authorization header to this server.</p>
    </main>
  );
}
