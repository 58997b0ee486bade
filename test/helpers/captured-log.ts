/** A logger whose JSON lines a test can read, for proving what is (and is not) logged. */
import { Writable } from 'node:stream';
import { pino } from 'pino';

export function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}
