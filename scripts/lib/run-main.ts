/**
 * Runs a benchmark's or script's main function: its result is the exit status, and an
 * error is printed with its stack and exits 1 (an unhandled rejection would print less).
 */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exitCode = 1;
    },
  );
}
