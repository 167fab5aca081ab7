/**
 * What is drawn on one page, as a PDF content stream (ISO 32000-1 §8, §9.4). Callers work in
 * points from the top-left corner, y downwards, as on paper; the stream is written in PDF's
 * own space (origin bottom-left, y upwards). Colours are DeviceRGB, made device-independent
 * by the sRGB output intent of PDF/A.
 */
import { num } from './file.ts';
import type { Line } from './text-layout.ts';

/** Bézier control distance of a quarter circle, per unit of radius. */
const KAPPA = 0.5522847498;

const rgb = (hex: string): string => {
  const value = Number.parseInt(hex.slice(1), 16);
  return `${num(((value >> 16) & 0xff) / 255)} ${num(((value >> 8) & 0xff) / 255)} ${num((value & 0xff) / 255)}`;
};

export class PageContent {
  private ops = '';
  private fill = '';

  constructor(readonly width: number, readonly height: number) {}

  private y(top: number): string {
    return num(this.height - top);
  }

  private fillColor(hex: string): void {
    if (hex === this.fill) return;
    this.fill = hex;
    this.ops += `${rgb(hex)} rg\n`;
  }

  /** A line of text whose box starts at `top`, from `x`. */
  text(line: Line, x: number, top: number): void {
    const baseline = this.y(top + line.ascent);
    let at = x;
    let current: Line['pieces'][number]['style'] | undefined;
    let shown = '';
    const flush = (): void => {
      if (shown) this.ops += `[${shown}] TJ\n`;
      shown = '';
    };
    let began = false;
    for (const piece of line.pieces) {
      const { style } = piece;
      if (style !== current) {
        flush();
        if (began) this.ops += 'ET\n';
        this.fillColor(style.color);
        this.ops += `BT\n/${style.font.resourceName} ${num(style.size)} Tf\n${num(at)} ${baseline} Td\n`;
        began = true;
        current = style;
      }
      if (piece.spaceBefore) shown += style.font.show(style.font.face.space);
      shown += style.font.show(piece.shaped);
      const face = style.font.face;
      at += ((piece.shaped.width + (piece.spaceBefore ? face.spaceWidth : 0)) * style.size) / face.unitsPerEm;
    }
    flush();
    if (began) this.ops += 'ET\n';
  }

  /** A straight line. */
  line(x1: number, y1: number, x2: number, y2: number, width: number, color: string): void {
    this.ops += `${num(width)} w ${rgb(color)} RG\n${num(x1)} ${this.y(y1)} m ${num(x2)} ${this.y(y2)} l S\n`;
  }

  /** The outline of a rectangle with rounded corners. */
  roundedRect(x: number, top: number, w: number, h: number, radius: number, width: number, color: string): void {
    const r = Math.min(radius, w / 2, h / 2);
    const k = r * KAPPA;
    const left = x;
    const right = x + w;
    const up = this.height - top;
    const down = this.height - top - h;
    const n = num;
    this.ops += `${n(width)} w ${rgb(color)} RG\n`
      + `${n(left + r)} ${n(up)} m ${n(right - r)} ${n(up)} l `
      + `${n(right - r + k)} ${n(up)} ${n(right)} ${n(up - r + k)} ${n(right)} ${n(up - r)} c `
      + `${n(right)} ${n(down + r)} l ${n(right)} ${n(down + r - k)} ${n(right - r + k)} ${n(down)} ${n(right - r)} ${n(down)} c `
      + `${n(left + r)} ${n(down)} l ${n(left + r - k)} ${n(down)} ${n(left)} ${n(down + r - k)} ${n(left)} ${n(down + r)} c `
      + `${n(left)} ${n(up - r)} l ${n(left)} ${n(up - r + k)} ${n(left + r - k)} ${n(up)} ${n(left + r)} ${n(up)} c h S\n`;
  }

  /**
   * A path given in its own units, rows top-down (e.g. the modules of a DataMatrix), placed
   * with its top-left corner at (x, top) and `scale` points per unit, then filled.
   */
  fillPath(path: string, x: number, top: number, scale: number, color: string): void {
    const outside = this.fill;
    this.ops += 'q\n';
    this.fillColor(color);
    this.ops += `${num(scale)} 0 0 ${num(-scale)} ${num(x)} ${this.y(top)} cm\n${path}\nf Q\n`;
    // Q restores the colour of before q.
    this.fill = outside;
  }

  toString(): string {
    return this.ops;
  }
}
