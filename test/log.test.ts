import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseLogFormat, createLogger, type LogStream } from '../src/log.js';
import { formatLogLine } from '../src/log-line.js';

const test = suite('logs: readable at a terminal, JSON elsewhere');

function capture(isTTY: boolean): LogStream & { lines: string[] } {
  const lines: string[] = [];
  return { isTTY, hasColors: () => false, lines, write: (text: string) => void lines.push(...text.split('\n').filter(Boolean)) };
}

test('the format follows the stream: a terminal reads lines, a pipe or file reads JSON, Render always JSON', () => {
  assert.is(chooseLogFormat({ isTTY: true, write: () => true }), 'pretty');
  assert.is(chooseLogFormat({ write: () => true }), 'json');
  assert.is(chooseLogFormat({ isTTY: false, write: () => true }), 'json');
  assert.is(chooseLogFormat({ isTTY: true, write: () => true }, true), 'json');
});

test('at a terminal: time, level, message, then key=value fields, one line', () => {
  const out = capture(true);
  const log = createLogger('info', 'guardian-test', { stream: out });
  log.info({ document_id: 'd-1', pages: 2, records: { observation: 7 }, note: 'two words' }, 'document processed');
  log.debug('not shown at info');
  assert.is(out.lines.length, 1);
  assert.match(out.lines[0]!, /^\d\d:\d\d:\d\d INFO  document processed document_id=d-1 pages=2 records\.observation=7 note="two words"$/);
});

test('elsewhere: one JSON object a line, every field kept', () => {
  const out = capture(false);
  const log = createLogger('info', 'guardian-test', { stream: out });
  log.warn({ queued: 3 }, 'queued uploads that had no job');
  const record = JSON.parse(out.lines[0]!) as Record<string, unknown>;
  assert.equal([record.level, record.msg, record.queued, record.service], ['warn', 'queued uploads that had no job', 3, 'guardian-test']);
});

test('Render gets JSON even on a terminal', () => {
  const out = capture(true);
  createLogger('info', 'guardian-test', { stream: out, onRender: true }).info('api listening');
  assert.is((JSON.parse(out.lines[0]!) as { msg: string }).msg, 'api listening');
});

test('a readable line cuts long values and keeps redaction', () => {
  const out = capture(true);
  const log = createLogger('info', 'guardian-test', { stream: out });
  log.info({ at: Array.from({ length: 20 }, (_, i) => `frame ${i}`), token: 'secret' }, 'failed');
  assert.ok(out.lines[0]!.length < 200, 'one short line');
  assert.match(out.lines[0]!, /at=\["frame 0",.*…/);
  assert.match(out.lines[0]!, /token=\[redacted\]/);
  assert.is(formatLogLine('not json', { colour: false }), 'not json');
  const summary = formatLogLine(JSON.stringify({ level: 'info', msg: 'cron run finished', sweeps: { rescue: { retried: 0, failed: 1 }, prune: 'failed' } }), { colour: false });
  assert.match(summary, / cron run finished sweeps\.rescue\.retried=0 sweeps\.rescue\.failed=1 sweeps\.prune=failed$/);
});

test.run();
