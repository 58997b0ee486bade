import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { serial } from '../../src/providers/ocr/serial.js';
import { rejection } from '../helpers/suite.js';

const test = suite('one-at-a-time queue (page rendering, OCR engine)');

test('tasks run one at a time, in order, and a failed one does not stop those behind it', async () => {
  const run = serial();
  let running = 0;
  let most = 0;
  const order: number[] = [];
  const task = (n: number, fail = false) => async () => {
    most = Math.max(most, ++running);
    await new Promise((resolve) => setImmediate(resolve));
    order.push(n);
    running--;
    if (fail) throw new Error(`task ${n} failed`);
    return n;
  };
  const results = [run(task(1)), run(task(2, true)), run(task(3)), run(task(4))];
  assert.is((await rejection(results[1]!)).message, 'task 2 failed');
  assert.equal(await Promise.all([results[0], results[2], results[3]]), [1, 3, 4]);
  assert.equal(order, [1, 2, 3, 4]);
  assert.is(most, 1);
});

test.run();
