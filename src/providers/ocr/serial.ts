/**
 * A process-wide one-at-a-time queue. The OCR engine and the page renderer each
 * use one: their memory is per task (a canvas, the engine's image), so tasks run
 * side by side would add their peaks, while the machine's two cores gain nothing
 * from a second CPU-bound task of the same kind.
 */
export type Serial = <T>(task: () => Promise<T>) => Promise<T>;

export function serial(): Serial {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task);
    // A failed task must not stop the ones queued behind it; its caller sees the error.
    tail = run.catch(() => undefined);
    return run;
  };
}
