// The console shell: sign-in gate, navigation by role, and the view the hash route names.
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, createApi, type Api } from "./api.js";
import { href, useRoute } from "./route.js";
import { forgetCredential, storeCredential, storedCredential } from "./session.js";
import { Approvals } from "./views/approvals.js";
import { DecisionDetail } from "./views/decision-detail.js";
import { Decisions } from "./views/decisions.js";
import { Identities } from "./views/identities.js";
import { Integrity } from "./views/integrity.js";
import { Linkage } from "./views/linkage.js";
import { Policies } from "./views/policies.js";
import { SignIn } from "./views/sign-in.js";

export interface Operator {
  id: string;
  type: string;
  roles: string[];
}

/** What each view needs, as the API's routes admit it. */
const VIEWS: { view: string; label: string; roles: string[] }[] = [
  { view: "decisions", label: "Decisions", roles: ["auditor", "admin"] },
  { view: "approvals", label: "Approvals", roles: ["approver", "auditor", "admin"] },
  { view: "identities", label: "Identities", roles: ["auditor", "admin"] },
  { view: "policies", label: "Policies", roles: ["auditor", "admin"] },
  { view: "linkage", label: "Linkage", roles: ["auditor", "admin"] },
  { view: "integrity", label: "Integrity", roles: ["approver", "auditor", "admin"] },
];

export function App() {
  const [credential, setCredential] = useState(storedCredential);
  const [operator, setOperator] = useState<Operator | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const route = useRoute();

  const signOut = useCallback((why?: string) => {
    forgetCredential();
    setCredential(undefined);
    setOperator(undefined);
    setMessage(why);
  }, []);
  const api: Api | undefined = useMemo(() => (credential ? createApi(credential, signOut) : undefined), [credential, signOut]);

  useEffect(() => {
    if (!api) return;
    api.get<Operator>("/v1/session").then(setOperator, (err: unknown) => signOut(err instanceof ApiError ? `Sign-in refused: ${err.message}` : "Arbiter could not be reached."));
  }, [api, signOut]);

  if (!api || !credential) {
    return (
      <SignIn
        message={message}
        onSignIn={(value) => {
          storeCredential(value);
          setMessage(undefined);
          setCredential(value);
        }}
      />
    );
  }
  if (!operator) return <p class="loading" role="status">Checking the credential…</p>;

  const allowed = VIEWS.filter((v) => v.roles.some((role) => operator.roles.includes(role)));
  const current = allowed.find((v) => v.view === route.view) ?? allowed[0];
  return (
    <div class="shell">
      <header class="top">
        <span class="brand">Arbiter</span>
        <nav aria-label="Views">
          {allowed.map((v) => (
            <a key={v.view} href={href(v.view)} aria-current={v.view === current?.view ? "page" : undefined}>
              {v.label}
            </a>
          ))}
        </nav>
        <span class="who">
          {operator.id} <span class="roles">({operator.roles.join(", ")})</span>
        </span>
        <button type="button" onClick={() => signOut("Signed out.")}>
          Sign out
        </button>
      </header>
      <main id="main">{current ? <View view={current.view} id={route.id} api={api} operator={operator} /> : <p>This credential holds no role the console can show.</p>}</main>
    </div>
  );
}

function View({ view, id, api, operator }: { view: string; id: string | undefined; api: Api; operator: Operator }) {
  switch (view) {
    case "decisions":
      return id ? <DecisionDetail api={api} id={id} /> : <Decisions api={api} />;
    case "approvals":
      return <Approvals api={api} operator={operator} focus={id} />;
    case "identities":
      return <Identities api={api} operator={operator} />;
    case "policies":
      return <Policies api={api} />;
    case "linkage":
      return <Linkage api={api} />;
    default:
      return <Integrity api={api} operator={operator} />;
  }
}
