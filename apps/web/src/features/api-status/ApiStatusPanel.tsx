import { useEffect, useState } from 'react';
import { checkReadiness, READINESS_EXPLANATIONS, READINESS_LABELS, type Readiness } from './readiness.ts';

const POLL_INTERVAL_MS = 30_000;
// Well under the poll interval, so a hung request reads as unreachable instead of stalling the panel.
const REQUEST_TIMEOUT_MS = 5_000;

interface ReadinessCheck {
  readiness: Readiness;
  checkedAt: Date;
}

/** Checks readiness now and every POLL_INTERVAL_MS; `recheckRequest` changing starts over at once. */
function useReadiness(recheckRequest: number) {
  const [latestCheck, setLatestCheck] = useState<ReadinessCheck | null>(null);
  const [isChecking, setIsChecking] = useState(true);

  useEffect(() => {
    let stopped = false;
    let inFlight: AbortController | undefined;
    let nextCheck: number | undefined;

    async function check() {
      const controller = new AbortController();
      inFlight = controller;
      const timeout = window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
      setIsChecking(true);
      const readiness = await checkReadiness(controller.signal);
      window.clearTimeout(timeout);
      if (stopped) return;
      setLatestCheck({ readiness, checkedAt: new Date() });
      setIsChecking(false);
      nextCheck = window.setTimeout(() => void check(), POLL_INTERVAL_MS);
    }

    void check();
    return () => {
      stopped = true;
      inFlight?.abort();
      window.clearTimeout(nextCheck);
    };
  }, [recheckRequest]);

  return { latestCheck, isChecking };
}

const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export function ApiStatusPanel() {
  const [recheckRequest, setRecheckRequest] = useState(0);
  const { latestCheck, isChecking } = useReadiness(recheckRequest);
  const readiness = latestCheck?.readiness;

  return (
    <section className="status-panel" aria-labelledby="api-status-heading" aria-busy={isChecking}>
      <h2 id="api-status-heading">API status</h2>

      {/* Only the verdict is live, and it keeps the last answer during a recheck: a screen reader hears
          a change of state, not "Checking" every thirty seconds. */}
      <p
        className="status-verdict"
        data-readiness={readiness ?? 'checking'}
        role="status"
        aria-live="polite"
        aria-atomic="true"
      >
        <span className="status-dot" aria-hidden="true" />
        {readiness === undefined ? 'Checking…' : READINESS_LABELS[readiness]}
      </p>

      <p className="status-detail">
        {latestCheck === null
          ? 'Asking the API whether it is ready.'
          : `${READINESS_EXPLANATIONS[latestCheck.readiness]} Checked at ${timeFormat.format(latestCheck.checkedAt)}.`}
      </p>

      <button type="button" className="status-recheck" onClick={() => setRecheckRequest((count) => count + 1)}>
        {isChecking ? 'Checking…' : 'Check again'}
      </button>
    </section>
  );
}
