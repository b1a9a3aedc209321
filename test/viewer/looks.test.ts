/**
 * How the viewer draws things, without a browser: the service palette stays
 * distinguishable, text on a (dimmed) bar stays readable, time-axis labels do not run
 * into each other, a rate chart keeps one unit, and the empty state's endpoints use the
 * instance's ports.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { blend, ERROR_COLOR, luminance, PALETTE, textOn } from '../../web/src/colors.ts';
import { axisTicks } from '../../web/src/model/axis.ts';
import { endpoints } from '../../web/src/model/endpoints.ts';
import { fmtDur, fmtNumber, rateUnit } from '../../web/src/format.ts';

/** CIEDE2000 colour difference of two sRGB hex colours (Sharma, Wu, Dalal 2005). */
function deltaE2000(x: string, y: string): number {
  const lab = (hex: string): [number, number, number] => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    const f = (t: number): number => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
    const fx = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
    const fy = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
    const fz = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
    return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
  };
  const rad = Math.PI / 180;
  const [l1, a1, b1] = lab(x);
  const [l2, a2, b2] = lab(y);
  const cBar = (Math.hypot(a1, b1) + Math.hypot(a2, b2)) / 2;
  const g = 0.5 * (1 - Math.sqrt(cBar ** 7 / (cBar ** 7 + 25 ** 7)));
  const [ap1, ap2] = [(1 + g) * a1, (1 + g) * a2];
  const [cp1, cp2] = [Math.hypot(ap1, b1), Math.hypot(ap2, b2)];
  const hue = (b: number, a: number): number => ((Math.atan2(b, a) / rad) % 360 + 360) % 360;
  const [hp1, hp2] = [hue(b1, ap1), hue(b2, ap2)];
  let dh = hp2 - hp1;
  if (cp1 * cp2 === 0) dh = 0;
  else if (dh > 180) dh -= 360;
  else if (dh < -180) dh += 360;
  const dH = 2 * Math.sqrt(cp1 * cp2) * Math.sin((dh / 2) * rad);
  const lBar = (l1 + l2) / 2;
  const cpBar = (cp1 + cp2) / 2;
  const hBar = cp1 * cp2 === 0 ? hp1 + hp2 : Math.abs(hp1 - hp2) <= 180 ? (hp1 + hp2) / 2 : hp1 + hp2 < 360 ? (hp1 + hp2 + 360) / 2 : (hp1 + hp2 - 360) / 2;
  const t = 1 - 0.17 * Math.cos((hBar - 30) * rad) + 0.24 * Math.cos(2 * hBar * rad) + 0.32 * Math.cos((3 * hBar + 6) * rad) - 0.2 * Math.cos((4 * hBar - 63) * rad);
  const sl = 1 + (0.015 * (lBar - 50) ** 2) / Math.sqrt(20 + (lBar - 50) ** 2);
  const sc = 1 + 0.045 * cpBar;
  const sh = 1 + 0.015 * cpBar * t;
  const rt = -Math.sin(2 * 30 * Math.exp(-(((hBar - 275) / 25) ** 2)) * rad) * 2 * Math.sqrt(cpBar ** 7 / (cpBar ** 7 + 25 ** 7));
  const [dl, dc, dhh] = [(l2 - l1) / sl, (cp2 - cp1) / sc, dH / sh];
  return Math.sqrt(dl ** 2 + dc ** 2 + dhh ** 2 + rt * dc * dhh);
}

describe('colors', () => {
  test('every two service colours, and each and the error red, differ by at least 20 (CIEDE2000)', () => {
    const pairs: string[] = [];
    for (let i = 0; i < PALETTE.length; i++) {
      for (let j = i + 1; j < PALETTE.length; j++) if (deltaE2000(PALETTE[i], PALETTE[j]) < 20) pairs.push(`${PALETTE[i]}/${PALETTE[j]}`);
      if (deltaE2000(PALETTE[i], ERROR_COLOR) < 20) pairs.push(`${PALETTE[i]}/error`);
    }
    assert.deepEqual(pairs, []);
    assert.ok(deltaE2000('#3b82f6', '#6366f1') < 20, 'the measure tells apart what the eye does not');
  });

  test('text on a bar: dark on light colours, white on dark ones and on a bar dimmed over a dark background', () => {
    assert.equal(textOn('#f59e0b'), '#0b1020');
    assert.equal(textOn('#0b841b'), '#ffffff');
    const dimmedOnDark = blend('#3b82f6', 0.38, '#141925');
    assert.ok(luminance(dimmedOnDark) < luminance('#3b82f6'));
    assert.equal(textOn(dimmedOnDark), '#ffffff');
    assert.equal(textOn(blend('#3b82f6', 0.38, '#ffffff')), '#0b1020');
    assert.equal(blend('#ffffff', 0.5, '#000000'), '#808080');
  });
});

describe('model/axis', () => {
  const label = (t: number) => (t === 0 ? '0' : fmtDur(t));
  const laidOut = (lo: number, hi: number, width: number) =>
    axisTicks(lo, hi, width, label).map((t) => {
      if (t.text === undefined) return undefined;
      const w = t.text.length * 6.4;
      const x = t.at * width;
      return t.anchor === 'start' ? [x + 4, x + 4 + w] : [x - 4 - w, x - 4];
    });

  test('labels never overlap or leave the axis, at any width or window', () => {
    for (const width of [180, 260, 420, 700, 1300]) {
      for (const [lo, hi] of [
        [0, 300e6],
        [0, 4.5e9],
        [123_456, 987_654],
        [2.7e9, 4.05e9],
        [0, 61.2e9],
      ]) {
        const spans = laidOut(lo, hi, width).filter((x): x is number[] => x !== undefined);
        assert.ok(spans.length >= 1, `${width}px ${lo}-${hi}: no label`);
        for (let i = 0; i < spans.length; i++) {
          assert.ok(spans[i][0] >= 0 && spans[i][1] <= width + 0.01, `inside the axis: ${width}px ${spans[i]}`);
          if (i > 0) assert.ok(spans[i][0] > spans[i - 1][1], `apart: ${width}px ${spans[i - 1]} ${spans[i]}`);
        }
      }
    }
  });

  test('about one tick per 110 px; the one at the right edge ends at its tick', () => {
    const ticks = axisTicks(0, 300e6, 400, label);
    assert.deepEqual(
      ticks.map((t) => t.value / 1e6),
      [0, 100, 200, 300],
    );
    assert.deepEqual(ticks[3], { value: 300e6, at: 1, text: '300 ms', anchor: 'end' });
  });
});

describe('format', () => {
  test('a rate chart reads in one unit: per second, minute or hour', () => {
    assert.deepEqual(rateUnit(12), { label: 'second', scale: 1 });
    assert.deepEqual(rateUnit(0.05), { label: 'minute', scale: 60 });
    assert.deepEqual(rateUnit(0.001), { label: 'hour', scale: 3600 });
    assert.deepEqual(rateUnit(0), { label: 'second', scale: 1 });
    assert.deepEqual([0, 0.25, 4.5, 12.5, 340].map(fmtNumber), ['0', '0.25', '4.50', '12.5', '340']);
  });
});

describe('model/endpoints', () => {
  test("this host and the instance's ports; the defaults, said to be assumed, when it does not tell", () => {
    assert.deepEqual(endpoints('127.0.0.1', { otlpHttp: 41234, otlpGrpc: 41235, zipkin: 9412 }), {
      otlpHttp: 'http://127.0.0.1:41234',
      otlpGrpc: 'http://127.0.0.1:41235',
      zipkin: 'http://127.0.0.1:9412/api/v2/spans',
      assumed: false,
    });
    assert.deepEqual(endpoints('', undefined), { otlpHttp: 'http://127.0.0.1:4318', otlpGrpc: 'http://127.0.0.1:4317', assumed: true });
    assert.equal(endpoints('::1', { otlpHttp: 1, otlpGrpc: 2 }).otlpHttp, 'http://[::1]:1');
  });
});
