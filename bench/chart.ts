/**
 * The PNG chart of a bench run, drawn pixel by pixel with pngjs (pure JS, no native canvas):
 * ingest against its limits on the left, reconciliation seconds per 1k transactions by size on
 * the right (service and the set-based SQL limit). Text uses a built-in 5x7 bitmap font.
 */
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';

// Classic 5x7 font, column-major, bit 0 at the top; ASCII 0x20..0x5F (lower case drawn upper).
const FONT = [
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5f, 0x00, 0x00, 0x00, 0x07, 0x00, 0x07, 0x00, 0x14,
  0x7f, 0x14, 0x7f, 0x14, 0x24, 0x2a, 0x7f, 0x2a, 0x12, 0x23, 0x13, 0x08, 0x64, 0x62, 0x36, 0x49,
  0x55, 0x22, 0x50, 0x00, 0x05, 0x03, 0x00, 0x00, 0x00, 0x1c, 0x22, 0x41, 0x00, 0x00, 0x41, 0x22,
  0x1c, 0x00, 0x08, 0x2a, 0x1c, 0x2a, 0x08, 0x08, 0x08, 0x3e, 0x08, 0x08, 0x00, 0x50, 0x30, 0x00,
  0x00, 0x08, 0x08, 0x08, 0x08, 0x08, 0x00, 0x60, 0x60, 0x00, 0x00, 0x20, 0x10, 0x08, 0x04, 0x02,
  0x3e, 0x51, 0x49, 0x45, 0x3e, 0x00, 0x42, 0x7f, 0x40, 0x00, 0x42, 0x61, 0x51, 0x49, 0x46, 0x21,
  0x41, 0x45, 0x4b, 0x31, 0x18, 0x14, 0x12, 0x7f, 0x10, 0x27, 0x45, 0x45, 0x45, 0x39, 0x3c, 0x4a,
  0x49, 0x49, 0x30, 0x01, 0x71, 0x09, 0x05, 0x03, 0x36, 0x49, 0x49, 0x49, 0x36, 0x06, 0x49, 0x49,
  0x29, 0x1e, 0x00, 0x36, 0x36, 0x00, 0x00, 0x00, 0x56, 0x36, 0x00, 0x00, 0x00, 0x08, 0x14, 0x22,
  0x41, 0x14, 0x14, 0x14, 0x14, 0x14, 0x41, 0x22, 0x14, 0x08, 0x00, 0x02, 0x01, 0x51, 0x09, 0x06,
  0x32, 0x49, 0x79, 0x41, 0x3e, 0x7e, 0x11, 0x11, 0x11, 0x7e, 0x7f, 0x49, 0x49, 0x49, 0x36, 0x3e,
  0x41, 0x41, 0x41, 0x22, 0x7f, 0x41, 0x41, 0x22, 0x1c, 0x7f, 0x49, 0x49, 0x49, 0x41, 0x7f, 0x09,
  0x09, 0x01, 0x01, 0x3e, 0x41, 0x41, 0x51, 0x32, 0x7f, 0x08, 0x08, 0x08, 0x7f, 0x00, 0x41, 0x7f,
  0x41, 0x00, 0x20, 0x40, 0x41, 0x3f, 0x01, 0x7f, 0x08, 0x14, 0x22, 0x41, 0x7f, 0x40, 0x40, 0x40,
  0x40, 0x7f, 0x02, 0x04, 0x02, 0x7f, 0x7f, 0x04, 0x08, 0x10, 0x7f, 0x3e, 0x41, 0x41, 0x41, 0x3e,
  0x7f, 0x09, 0x09, 0x09, 0x06, 0x3e, 0x41, 0x51, 0x21, 0x5e, 0x7f, 0x09, 0x19, 0x29, 0x46, 0x46,
  0x49, 0x49, 0x49, 0x31, 0x01, 0x01, 0x7f, 0x01, 0x01, 0x3f, 0x40, 0x40, 0x40, 0x3f, 0x1f, 0x20,
  0x40, 0x20, 0x1f, 0x7f, 0x20, 0x18, 0x20, 0x7f, 0x63, 0x14, 0x08, 0x14, 0x63, 0x03, 0x04, 0x78,
  0x04, 0x03, 0x61, 0x51, 0x49, 0x45, 0x43, 0x00, 0x00, 0x7f, 0x41, 0x41, 0x02, 0x04, 0x08, 0x10,
  0x20, 0x41, 0x41, 0x7f, 0x00, 0x00, 0x04, 0x02, 0x01, 0x02, 0x04, 0x40, 0x40, 0x40, 0x40, 0x40,
];

type Rgb = [number, number, number];

class Canvas {
  readonly png: PNG;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.png = new PNG({ width, height });
    this.rect(0, 0, width, height, [255, 255, 255]);
  }

  pixel(x: number, y: number, c: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (Math.floor(y) * this.width + Math.floor(x)) * 4;
    this.png.data[i] = c[0];
    this.png.data[i + 1] = c[1];
    this.png.data[i + 2] = c[2];
    this.png.data[i + 3] = 255;
  }

  rect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let yy = Math.round(y); yy < Math.round(y + h); yy++) {
      for (let xx = Math.round(x); xx < Math.round(x + w); xx++) this.pixel(xx, yy, c);
    }
  }

  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, width = 1): void {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let s = 0; s <= steps; s++) {
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      this.rect(x - width / 2, y - width / 2, width, width, c);
    }
  }

  /** Text at (x, y) top-left; `scale` pixels per font dot; align left, center or right. */
  text(x: number, y: number, s: string, c: Rgb, scale = 2, align: 'l' | 'c' | 'r' = 'l'): void {
    const w = this.textWidth(s, scale);
    let cx = align === 'l' ? x : align === 'c' ? x - w / 2 : x - w;
    for (const ch of s.toUpperCase()) {
      const code = ch.charCodeAt(0);
      const idx = code >= 0x20 && code <= 0x5f ? code - 0x20 : 0x3f - 0x20;
      for (let col = 0; col < 5; col++) {
        const bits = FONT[idx * 5 + col];
        for (let row = 0; row < 7; row++) {
          if (bits & (1 << row)) this.rect(cx + col * scale, y + row * scale, scale, scale, c);
        }
      }
      cx += 6 * scale;
    }
  }

  textWidth(s: string, scale = 2): number {
    return s.length * 6 * scale - scale;
  }
}

export interface ChartInput {
  title: string;
  ingest: Array<{ label: string; value: number | null; color: Rgb }>;
  reconcile: Array<{ n: number; service: number | null; sql: number | null }>;
  note?: string;
}

const INK: Rgb = [30, 30, 30];
const GRID: Rgb = [225, 225, 225];
const SERVICE: Rgb = [52, 101, 164];
const SQL: Rgb = [115, 185, 95];

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 2, 4, 6, 8, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  if (v >= 10_000) return `${(v / 1000).toFixed(1)}k`;
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

function fmtN(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n);
}

/** Axis frame with horizontal grid lines; returns the y pixel of a value. */
function axes(
  c: Canvas,
  x: number,
  y: number,
  w: number,
  h: number,
  max: number,
): (v: number) => number {
  const toY = (v: number): number => y + h - (v / max) * h;
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const yy = toY(v);
    c.line(x, yy, x + w, yy, GRID);
    c.text(x - 6, yy - 7, fmt(v), INK, 2, 'r');
  }
  c.line(x, y, x, y + h, INK);
  c.line(x, y + h, x + w, y + h, INK);
  return toY;
}

export function drawChart(file: string, input: ChartInput): void {
  const c = new Canvas(1200, 560);
  c.text(600, 14, input.title, INK, 2, 'c');

  // Left: deliveries per second, service against its limits.
  const lx = 110;
  const ly = 80;
  const lw = 440;
  const lh = 360;
  c.text(lx + lw / 2, 50, 'INGEST: DELIVERIES/S (32 CONNECTIONS)', INK, 2, 'c');
  const lmax = niceMax(Math.max(1, ...input.ingest.map((b) => b.value ?? 0)));
  const ly2 = axes(c, lx, ly, lw, lh, lmax);
  const slot = lw / Math.max(1, input.ingest.length);
  input.ingest.forEach((b, i) => {
    const bx = lx + i * slot + slot * 0.15;
    const bw = slot * 0.7;
    if (b.value !== null) {
      c.rect(bx, ly2(b.value), bw, ly + lh - ly2(b.value), b.color);
      c.text(bx + bw / 2, ly2(b.value) - 20, fmt(b.value), INK, 2, 'c');
    } else {
      c.text(bx + bw / 2, ly + lh - 24, 'N/A', INK, 2, 'c');
    }
    const words = b.label.split('\n');
    words.forEach((wd, k) => c.text(bx + bw / 2, ly + lh + 10 + k * 18, wd, INK, 2, 'c'));
  });

  // Right: reconciliation seconds per 1k transactions, by size.
  const rx = 720;
  const ry = 80;
  const rw = 440;
  const rh = 360;
  c.text(rx + rw / 2, 50, 'RECONCILE: SECONDS PER 1K TX', INK, 2, 'c');
  const per = (s: number | null, n: number): number | null => (s === null ? null : (s / n) * 1000);
  const vals = input.reconcile.flatMap((r) => [per(r.service, r.n) ?? 0, per(r.sql, r.n) ?? 0]);
  const rmax = niceMax(Math.max(0.001, ...vals));
  const ry2 = axes(c, rx, ry, rw, rh, rmax);
  if (input.reconcile.length === 0) {
    c.text(rx + rw / 2, ry + rh / 2, 'NOT MEASURED', INK, 2, 'c');
  }
  const rslot = rw / Math.max(1, input.reconcile.length);
  input.reconcile.forEach((r, i) => {
    const gx = rx + i * rslot + rslot * 0.1;
    const bw = rslot * 0.38;
    const bars: Array<[number | null, Rgb]> = [
      [per(r.service, r.n), SERVICE],
      [per(r.sql, r.n), SQL],
    ];
    bars.forEach(([v, col], k) => {
      const bx = gx + k * (bw + rslot * 0.04);
      if (v === null) return;
      c.rect(bx, ry2(v), bw, ry + rh - ry2(v), col);
      c.text(bx + bw / 2, ry2(v) - 20, fmt(v), INK, 2, 'c');
    });
    c.text(rx + i * rslot + rslot / 2, ry + rh + 10, `N=${fmtN(r.n)}`, INK, 2, 'c');
  });
  c.rect(rx, ry + rh + 40, 16, 16, SERVICE);
  c.text(rx + 24, ry + rh + 42, 'SERVICE POST /RECONCILE/RUN', INK, 2);
  c.rect(rx, ry + rh + 64, 16, 16, SQL);
  c.text(rx + 24, ry + rh + 66, 'ONE SET-BASED SQL STATEMENT', INK, 2);

  if (input.note) c.text(600, 530, input.note, INK, 2, 'c');
  writeFileSync(file, PNG.sync.write(c.png));
}
