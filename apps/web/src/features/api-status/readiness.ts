/** What the API's `/readyz` route says about whether it can serve requests. */
export type Readiness = 'ready' | 'database-unavailable' | 'api-unreachable';

export const READINESS_LABELS: Record<Readiness, string> = {
  ready: 'Ready',
  'database-unavailable': 'Database unavailable',
  'api-unreachable': 'API unreachable',
};

export const READINESS_EXPLANATIONS: Record<Readiness, string> = {
  ready: 'The API is running and its database is answering.',
  'database-unavailable': 'The API is running but cannot reach its database.',
  'api-unreachable': 'The API did not answer.',
};

/** The API answers 200 when ready and 503 when its database is down; anything else came from elsewhere. */
export function readinessFromStatus(httpStatus: number): Readiness {
  if (httpStatus >= 200 && httpStatus < 300) return 'ready';
  if (httpStatus === 503) return 'database-unavailable';
  // A proxy in front of a stopped API answers 502 (Vite's dev server and most others) or 504.
  return 'api-unreachable';
}

/** Asks `/readyz` on this origin. Never throws: failing to get an answer is itself the answer. */
export async function checkReadiness(signal: AbortSignal): Promise<Readiness> {
  try {
    const response = await fetch('/readyz', { signal, cache: 'no-store' });
    return readinessFromStatus(response.status);
  } catch {
    return 'api-unreachable';
  }
}
