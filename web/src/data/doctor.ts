/**
 * @module data/doctor
 * The doctor's report for the empty state, read again every few seconds while shown:
 * what the receivers saw, the set-up mistakes they recognized, and their ports.
 */
import { useEffect, useState } from 'preact/hooks';
import { doctor, type Doctor } from '../api.ts';

const EVERY_MS = 5000;

/** undefined until the first answer; null when the doctor could not be asked (an older tracebox, a network error). */
export function useDoctor(): Doctor | null | undefined {
  const [report, setReport] = useState<Doctor | null | undefined>();
  useEffect(() => {
    let stop = false;
    const load = () =>
      doctor()
        .then((r) => !stop && setReport(r ?? null))
        .catch(() => !stop && setReport((old) => old ?? null));
    void load();
    const t = setInterval(load, EVERY_MS);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, []);
  return report;
}
