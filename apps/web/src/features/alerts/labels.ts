export const SEVERITY_LABEL: Record<string, string> = { WATCH: 'Watch', AT_RISK: 'At risk', CRITICAL: 'Critical' };
