// A ticket-lookup action whose ticket id the schema marks @sensitive, added to the sample policies.
export const TICKETS_SCHEMA = (old: string) => `${old}
action lookup_ticket appliesTo { principal: [Agent, Human], resource: [Dataset], context: { @sensitive ticket: String, queue: String } };
`;
export const TICKETS_POLICY = `
@id("support-lookup-tickets")
@note("Support agents may look tickets up, except in the fraud queue.")
permit (principal in Group::"support", action == Action::"lookup_ticket", resource is Dataset)
when { context.queue != "fraud" && context.ticket like "T-*" };
`;
