/**
 * Pages filled from top to bottom: a cursor `y` on the current page, a new page when the next
 * line would cross the bottom margin.
 */
import { PageContent } from './page.ts';
import type { Line } from './text-layout.ts';

export interface PageGeometry {
  width: number;
  height: number;
  margins: { top: number; bottom: number; left: number; right: number };
}

export interface LinesOptions {
  x?: number;
  /** Width of the column, for alignment; the content width by default. */
  width?: number;
  align?: 'left' | 'right';
  /** Extra space below each line, points. */
  lineGap?: number;
}

export class Flow {
  readonly pages: PageContent[] = [];
  y = 0;

  constructor(readonly geometry: PageGeometry) {
    this.addPage();
  }

  get page(): PageContent {
    return this.pages[this.pages.length - 1]!;
  }

  get left(): number {
    return this.geometry.margins.left;
  }

  get contentWidth(): number {
    const { width, margins } = this.geometry;
    return width - margins.left - margins.right;
  }

  /** Lowest y that text may reach. */
  get bottom(): number {
    return this.geometry.height - this.geometry.margins.bottom;
  }

  addPage(): void {
    this.pages.push(new PageContent(this.geometry.width, this.geometry.height));
    this.y = this.geometry.margins.top;
  }

  /** Writes the lines at the cursor, opening pages as needed. */
  lines(lines: readonly Line[], options: LinesOptions = {}): void {
    const x = options.x ?? this.left;
    const width = options.width ?? this.contentWidth;
    for (const line of lines) {
      if (this.y + line.height > this.bottom && this.y > this.geometry.margins.top) this.addPage();
      const at = options.align === 'right' ? x + width - line.width : x;
      this.page.text(line, at, this.y);
      this.y += line.height + (options.lineGap ?? 0);
    }
  }
}
