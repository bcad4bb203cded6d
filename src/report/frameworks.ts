// The frameworks an evidence pack maps to, by the prefix policies use in @frameworks("PREFIX:CONTROL"), with the titles of the controls the sample policies cite.

export interface Framework {
  id: string;
  /** The prefix of this framework's entries in a policy's @frameworks annotation (matched without case). */
  prefix: string;
  title: string;
  /** Titles of controls, as the framework words them, for the report; a control not listed is shown by its id. */
  controls: Readonly<Record<string, string>>;
}

export const FRAMEWORKS = {
  "nist-csf-2": {
    id: "nist-csf-2",
    prefix: "NIST-CSF-2",
    title: "NIST Cybersecurity Framework 2.0",
    controls: {
      "PR.AA-01": "Identities and credentials for authorized users, services, and hardware are managed by the organization",
      "PR.AA-03": "Users, services, and hardware are authenticated",
      "PR.AA-05": "Access permissions, entitlements, and authorizations are defined in a policy, managed, enforced, and reviewed",
      "PR.DS-01": "The confidentiality, integrity, and availability of data-at-rest are protected",
      "PR.DS-10": "The confidentiality, integrity, and availability of data-in-use are protected",
      "PR.PS-01": "Configuration management practices are established and applied",
      "DE.CM-03": "Personnel activity and technology usage are monitored to find potentially adverse events",
    },
  },
  "owasp-nhi": {
    id: "owasp-nhi",
    prefix: "OWASP-NHI",
    title: "OWASP Non-Human Identities Top 10 (2025)",
    controls: {
      "NHI-1": "Improper Offboarding",
      "NHI-2": "Secret Leakage",
      "NHI-4": "Insecure Authentication",
      "NHI-5": "Overprivileged NHI",
      "NHI-7": "Long-Lived Secrets",
      "NHI-8": "Environment Isolation",
      "NHI-9": "NHI Reuse",
      "NHI-10": "Human Use of NHI",
    },
  },
  "nist-ai-rmf": {
    id: "nist-ai-rmf",
    prefix: "NIST-AI-RMF",
    title: "NIST AI Risk Management Framework 1.0",
    controls: {
      "GOVERN-3.2": "Policies and procedures are in place to define and differentiate roles and responsibilities for human-AI configurations and oversight of AI systems",
      "MANAGE-2.4": "Mechanisms are in place and applied, and responsibilities are assigned and understood, to supersede, disengage, or deactivate AI systems that demonstrate performance or outcomes inconsistent with intended use",
      "MEASURE-2.7": "AI system security and resilience are evaluated and documented",
      "MEASURE-2.10": "Privacy risk of the AI system is examined and documented",
    },
  },
} as const satisfies Record<string, Framework>;

export type FrameworkId = keyof typeof FRAMEWORKS;
export const FRAMEWORK_IDS = Object.keys(FRAMEWORKS) as FrameworkId[];

export function isFrameworkId(value: string): value is FrameworkId {
  return Object.hasOwn(FRAMEWORKS, value);
}

/** The control a @frameworks entry names in `framework`, or undefined when it names another framework. */
export function controlOf(framework: Framework, entry: string): string | undefined {
  const at = entry.indexOf(":");
  if (at <= 0 || entry.slice(0, at).toUpperCase() !== framework.prefix) return undefined;
  return entry.slice(at + 1);
}
