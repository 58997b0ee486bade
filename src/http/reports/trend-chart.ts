/**
 * One small inline SVG line chart per lab series, for the printable summary report:
 * the points (time-proportional on x), the reference range as a band, y-axis labels
 * with the unit, the first and last dates, and the trend direction in the caption.
 * Static markup only (no script, no external references); every text is escaped.
 */
import type { ReportLabSeries } from './summary-report.js';

/** Escapes text for HTML element content and quoted attribute values (also valid inside inline SVG). */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A lab value as people read it: at most 4 significant digits, no exponent, no trailing zeros. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '';
  const abs = Math.abs(value);
  // toPrecision(4) switches to exponent notation from 1e4; past that, whole numbers read better.
  if (abs >= 1e4) return Math.round(value).toString();
  return Number(value.toPrecision(4)).toString();
}

/** The UTC calendar day of an ISO timestamp (the report speaks UTC). */
export function isoDay(timestamp: string): string {
  return timestamp.slice(0, 10);
}

// Geometry, in SVG user units (= CSS px at 100 %). 420 × 150 prints at ~11 × 4 cm,
// two charts per row on A4/Letter; the left margin fits a 6-character label at 10 px.
const WIDTH = 420;
const HEIGHT = 150;
const PAD = { left: 56, right: 12, top: 12, bottom: 30 };
const PLOT_W = WIDTH - PAD.left - PAD.right; // 352
const PLOT_H = HEIGHT - PAD.top - PAD.bottom; // 108

const DIRECTION_LABEL: Record<NonNullable<ReportLabSeries['direction']>, string> = {
  rising: 'rising ↗',
  falling: 'falling ↘',
  stable: 'stable →',
};

const f1 = (n: number): string => n.toFixed(1);

/** The chart's SVG markup, or a short note when the series has nothing plottable. */
export function renderTrendChart(series: ReportLabSeries): string {
  // Values written in a unit that does not convert are not on the series' scale:
  // plotting them would mislead, so they are counted in a note instead.
  const plotted = series.points.filter((p) => p.convertible);
  const skipped = series.points.length - plotted.length;
  const unit = series.unit ?? '';
  const skippedNote = skipped > 0
    ? `<p class="note">${skipped} result${skipped === 1 ? '' : 's'} in another unit not plotted.</p>`
    : '';
  if (plotted.length === 0) return `<p class="note">No results in ${escapeHtml(unit || 'a common unit')} to chart.</p>${skippedNote}`;

  const times = plotted.map((p) => Date.parse(p.at));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const values = plotted.map((p) => p.value);
  const { reference_low: low, reference_high: high } = series;

  // The y range covers the values and the reference bounds, padded 10 % so no point
  // sits on the frame; a flat series gets ±1 (or ±10 % of its value) around it.
  let yMin = Math.min(...values, ...(low !== null ? [low] : []), ...(high !== null ? [high] : []));
  let yMax = Math.max(...values, ...(low !== null ? [low] : []), ...(high !== null ? [high] : []));
  if (yMax === yMin) {
    const spread = Math.abs(yMin) * 0.1 || 1;
    yMin -= spread;
    yMax += spread;
  }
  const pad = (yMax - yMin) * 0.1;
  yMin -= pad;
  yMax += pad;

  // Points sit 6 px inside the frame (their radius is 3) so none is cut by it.
  const x = (t: number): number => (t1 === t0 ? PAD.left + PLOT_W / 2 : PAD.left + 6 + ((t - t0) / (t1 - t0)) * (PLOT_W - 12));
  const y = (v: number): number => PAD.top + (1 - (v - yMin) / (yMax - yMin)) * PLOT_H;

  const parts: string[] = [];
  const title = `${series.name}${unit ? ` (${unit})` : ''}`;
  parts.push(
    `<svg class="trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(`Trend of ${title}`)}">`,
    `<title>${escapeHtml(`Trend of ${title}`)}</title>`,
  );

  // Reference band: between the bounds, or from one bound to the plot's edge.
  if (low !== null || high !== null) {
    const top = high !== null ? y(high) : PAD.top;
    const bottom = low !== null ? y(low) : PAD.top + PLOT_H;
    parts.push(`<rect class="band" x="${PAD.left}" y="${f1(top)}" width="${PLOT_W}" height="${f1(Math.max(0, bottom - top))}"/>`);
    if (high !== null) parts.push(refLine(y(high), high));
    if (low !== null) parts.push(refLine(y(low), low));
  }

  // Frame and axis labels: y bounds with the unit, x first and last day.
  parts.push(
    `<rect class="frame" x="${PAD.left}" y="${PAD.top}" width="${PLOT_W}" height="${PLOT_H}"/>`,
    axisText(PAD.left - 4, PAD.top + 4, 'end', formatNumber(yMax)),
    axisText(PAD.left - 4, PAD.top + PLOT_H, 'end', formatNumber(yMin)),
    axisText(PAD.left - 4, PAD.top + PLOT_H / 2 + 4, 'end', unit),
    axisText(PAD.left, HEIGHT - 10, 'start', isoDay(new Date(t0).toISOString())),
  );
  if (t1 !== t0) parts.push(axisText(PAD.left + PLOT_W, HEIGHT - 10, 'end', isoDay(new Date(t1).toISOString())));

  // The line, then the points (out-of-range ones marked).
  const coords = plotted.map((p, i) => `${f1(x(times[i]!))},${f1(y(p.value))}`);
  if (plotted.length > 1) parts.push(`<polyline class="line" points="${coords.join(' ')}"/>`);
  plotted.forEach((p, i) => {
    const out = (low !== null && p.value < low) || (high !== null && p.value > high);
    const [cx, cy] = coords[i]!.split(',');
    parts.push(
      `<circle class="${out ? 'pt out' : 'pt'}" cx="${cx}" cy="${cy}" r="3">` +
        `<title>${escapeHtml(`${isoDay(p.at)}: ${formatNumber(p.value)} ${unit}`.trim())}</title></circle>`,
    );
  });
  parts.push('</svg>');

  const direction = series.direction ? DIRECTION_LABEL[series.direction] : 'no trend yet';
  const caption = `${plotted.length} result${plotted.length === 1 ? '' : 's'} · ${direction}`;
  return `<figure>${parts.join('')}<figcaption>${escapeHtml(caption)}</figcaption></figure>${skippedNote}`;
}

function refLine(atY: number, value: number): string {
  return `<line class="ref" x1="${PAD.left}" x2="${PAD.left + PLOT_W}" y1="${f1(atY)}" y2="${f1(atY)}"/>` +
    axisText(PAD.left + PLOT_W - 2, atY - 2, 'end', formatNumber(value), 'reflabel');
}

function axisText(atX: number, atY: number, anchor: 'start' | 'end', text: string, cls = 'axis'): string {
  return `<text class="${cls}" x="${f1(atX)}" y="${f1(atY)}" text-anchor="${anchor}">${escapeHtml(text)}</text>`;
}
