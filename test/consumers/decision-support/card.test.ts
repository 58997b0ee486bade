import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { toCdsHooksCard } from '../../../src/consumers/decision-support/card.js';

const test = suite('decision support: CDS Hooks card');

const rule = { title: 'Warfarin with an NSAID', source_label: 'FDA label: Coumadin', source_url: 'https://dailymed.nlm.nih.gov/dailymed/search.cfm?query=warfarin' };

test('an alert becomes a CDS Hooks 2.0 card: uuid, summary, indicator, detail, source', () => {
  const card = toCdsHooksCard({ id: 'a3f0c1de-7d4e-4b8e-9a51-2f7b6c1d0e99', summary: 'Warfarin with ibuprofen: bleeding', detail: '**Warfarin** and …', severity: 'critical' }, rule);
  assert.equal(card, {
    uuid: 'a3f0c1de-7d4e-4b8e-9a51-2f7b6c1d0e99',
    summary: 'Warfarin with ibuprofen: bleeding',
    indicator: 'critical',
    detail: '**Warfarin** and …',
    source: { label: 'FDA label: Coumadin', url: 'https://dailymed.nlm.nih.gov/dailymed/search.cfm?query=warfarin' },
  });
});

test('a long summary is cut to 140 characters with an ellipsis; no detail and no url are left out', () => {
  const card = toCdsHooksCard({ id: 'x', summary: 'word '.repeat(40), detail: null, severity: 'info' }, { ...rule, source_url: null });
  assert.is(card.summary.length, 140);
  assert.ok(card.summary.endsWith('…'));
  assert.is(card.indicator, 'info');
  assert.not.ok('detail' in card);
  assert.equal(card.source, { label: 'FDA label: Coumadin' });
});

test('a summary of exactly 140 characters is kept as it is', () => {
  const summary = 'x'.repeat(140);
  assert.is(toCdsHooksCard({ id: 'x', summary, detail: null, severity: 'warning' }, rule).summary, summary);
});

test.run();
