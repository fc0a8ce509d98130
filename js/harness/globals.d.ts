// What the harness puts on `window` for the Playwright tests and benchmarks to read.
interface Window {
  cellboardHarness?: Record<string, unknown>;
  __benchCleanup?: () => void;
  __bigBench?: unknown;
  __bigBenchCleanup?: () => void;
}
