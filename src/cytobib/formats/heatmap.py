"""Evidence maps as heatmap pictures: SVG (hand-written XML) and PNG (Pillow, optional:
``pip install 'cytobib[png]'``).

Rows are agents (or agent classes), columns cancers or evidence levels; a cell's colour grows
with the number of works behind it, and the number is printed in the cell. Both formats share
one layout and colour scale (ColorBrewer "Blues", sequential, readable in grey and by the
colour-blind). The SVG is self-contained (no scripts, fonts, images or links); each cell has
a ``<title>`` tooltip with the works' numbers, and every label goes through
``escape.svg_text``.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cytobib.errors import UsageError
from cytobib.formats.escape import svg_text
from cytobib.views import EvidenceMap

if TYPE_CHECKING:
    from cytobib.rendering import RenderContext

# ColorBrewer Blues, 9 classes (colorbrewer2.org), light to dark.
BLUES = (
    "#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6",
    "#4292c6", "#2171b5", "#08519c", "#08306b",
)  # fmt: skip
EMPTY_FILL = "#ffffff"
GRID = "#d0d0d0"
INK = "#1a1a1a"
MAX_LABEL = 48  # longer labels are cut with "…" (the full one is in the tooltip)
SIN45 = math.sqrt(0.5)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def colour(count: int, maximum: int) -> str:
    """Fill for a cell with ``count`` works when the fullest cell has ``maximum``.

    Zero is white; 1..maximum map linearly onto Blues from its second class to its last, so
    even a single work is visibly tinted.
    """
    if count <= 0 or maximum <= 0:
        return EMPTY_FILL
    t = 1.0 if maximum == 1 else (count - 1) / (maximum - 1)
    pos = 1 + t * (len(BLUES) - 2)
    low = math.floor(pos)
    high = min(low + 1, len(BLUES) - 1)
    frac = pos - low
    a, b = _rgb(BLUES[low]), _rgb(BLUES[high])
    mixed = (round(x + (y - x) * frac) for x, y in zip(a, b, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*mixed)


def table_shade(count: int, top: int) -> tuple[tuple[int, int, int], bool]:
    """The one ramp for evidence-map tables (HTML, LaTeX, DOCX): ``(r, g, b)`` for a cell with
    ``count`` works when the fullest has ``top``, from pale to deep blue (Blues' second class
    to its last), and whether its text should be white."""
    t = 0.18 + 0.82 * (count - 1) / (top - 1) if top > 1 else 1.0
    low, high = _rgb(BLUES[1]), _rgb(BLUES[-1])
    r, g, b = (round(a + (z - a) * t) for a, z in zip(low, high, strict=True))
    return (r, g, b), t > 0.5


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (WCAG relative luminance)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(fill))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#ffffff" if luminance < 0.3 else INK


def short_label(text: str, limit: int = MAX_LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def cell_tooltip(row: str, col: str, numbers: Sequence[int]) -> str:
    works = "work" if len(numbers) == 1 else "works"
    cited = ", ".join(f"[{n}]" for n in numbers)
    return f"{row} × {col}: {len(numbers)} {works}" + (f" {cited}" if numbers else "")


@dataclass(frozen=True)
class Layout:
    """Where everything goes, in pixels (SVG user units = PNG pixels at scale 1)."""

    font: float
    margin: float
    title_h: float
    label_w: float  # the row-label column
    header_h: float  # room for the 45° column labels
    cell_w: float
    cell_h: float
    width: float
    height: float
    legend_y: float

    @property
    def grid_x(self) -> float:
        return self.margin + self.label_w

    @property
    def grid_y(self) -> float:
        return self.margin + self.title_h + self.header_h

    def cell(self, r: int, c: int) -> tuple[float, float]:
        return self.grid_x + c * self.cell_w, self.grid_y + r * self.cell_h


def layout(
    emap: EvidenceMap, measure: Callable[[str, float], float], *, font: float = 12
) -> Layout:
    """Lay the map out with ``measure(text, size)`` giving a text's width in pixels."""
    margin = font
    title_h = font * 3.2
    rows = [short_label(r) for r in emap.rows]
    cols = [short_label(c) for c in emap.cols]
    label_w = max((measure(r, font) for r in rows), default=0) + font
    col_w = max((measure(c, font) for c in cols), default=0)
    maximum = max((len(v) for v in emap.cells.values()), default=0)
    cell_w = max(font * 3.2, measure(str(maximum), font) + font)
    cell_h = font * 2.2
    header_h = (col_w + font) * SIN45 + font * 0.5
    # The last column's label leans out to the right of the grid.
    overhang = max(0.0, (col_w + font) * SIN45 - cell_w / 2)
    grid_w = cell_w * len(cols)
    legend_y = margin + title_h + header_h + cell_h * len(rows) + font
    title_w = measure(emap.title, font * 1.4)
    width = margin * 2 + max(label_w + grid_w + overhang, title_w, font * 20)
    height = legend_y + font * 3 + margin
    return Layout(font, margin, title_h, label_w, header_h, cell_w, cell_h,
                  math.ceil(width), math.ceil(height), legend_y)  # fmt: skip


def _svg_measure(text: str, size: float) -> float:
    """A generous estimate of a sans-serif text's width (no font metrics in a plain SVG)."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")
    return size * (0.6 * (len(text) - wide) + 1.0 * wide)


def _subtitle(emap: EvidenceMap) -> str:
    if emap.notices:  # an image has room for one line: the warning, not the legend
        return f"⚠ {emap.notices[0]}"
    return f"Rows: {emap.row_heading}; columns: {emap.col_heading}; cells: number of works"


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class SvgFormat:
    """Scalable Vector Graphics: a self-contained heatmap of the evidence map."""

    name = "svg"
    binary = False

    def evidence_map(self, emap: EvidenceMap, ctx: RenderContext) -> str:
        lay = layout(emap, _svg_measure)
        f = lay.font
        maximum = max((len(v) for v in emap.cells.values()), default=0)
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(lay.width)}" '
            f'height="{_n(lay.height)}" viewBox="0 0 {_n(lay.width)} {_n(lay.height)}" '
            f'role="img" aria-labelledby="map-title" '
            f'font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="{_n(f)}">',
            f'<title id="map-title">{svg_text(emap.title)}</title>',
            '<defs><linearGradient id="scale" x1="0" x2="1" y1="0" y2="0">'
            + "".join(
                f'<stop offset="{_n(i / (len(BLUES) - 2))}" stop-color="{c}"/>'
                for i, c in enumerate(BLUES[1:])
            )
            + "</linearGradient></defs>",
            '<rect width="100%" height="100%" fill="#ffffff"/>',
            f'<text x="{_n(lay.margin)}" y="{_n(lay.margin + f * 1.4)}" font-size="{_n(f * 1.4)}"'
            f' font-weight="bold" fill="{INK}">{svg_text(emap.title)}</text>',
            f'<text x="{_n(lay.margin)}" y="{_n(lay.margin + f * 2.8)}" fill="#555555">'
            f"{svg_text(_subtitle(emap))}</text>",
        ]
        if not emap.rows or not emap.cols:
            out.append(
                f'<text x="{_n(lay.margin)}" y="{_n(lay.grid_y + f)}" fill="{INK}">'
                "No annotated works to map.</text>"
            )
        # Column labels, 45° up and to the right from the top of their column.
        out.append('<g class="columns">')
        for c, col in enumerate(emap.cols):
            x = lay.grid_x + (c + 0.5) * lay.cell_w - f * 0.3
            y = lay.grid_y - f * 0.4
            out.append(
                f'<text x="{_n(x)}" y="{_n(y)}" transform="rotate(-45 {_n(x)} {_n(y)})" '
                f'fill="{INK}"><title>{svg_text(col)}</title>{svg_text(short_label(col))}</text>'
            )
        out.append("</g>")
        out.append('<g class="rows">')
        for r, row in enumerate(emap.rows):
            y = lay.grid_y + (r + 0.5) * lay.cell_h
            out.append(
                f'<text x="{_n(lay.grid_x - f * 0.5)}" y="{_n(y)}" text-anchor="end" '
                f'dominant-baseline="central" fill="{INK}"><title>{svg_text(row)}</title>'
                f"{svg_text(short_label(row))}</text>"
            )
        out.append("</g>")
        out.append('<g class="cells">')
        for r, row in enumerate(emap.rows):
            for c, col in enumerate(emap.cols):
                numbers = emap.cells.get((row, col), ())
                x, y = lay.cell(r, c)
                fill = colour(len(numbers), maximum)
                out.append(
                    f"<g><title>{svg_text(cell_tooltip(row, col, numbers))}</title>"
                    f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(lay.cell_w)}" '
                    f'height="{_n(lay.cell_h)}" fill="{fill}" stroke="{GRID}"/>'
                )
                if numbers:
                    out.append(
                        f'<text x="{_n(x + lay.cell_w / 2)}" y="{_n(y + lay.cell_h / 2)}" '
                        f'text-anchor="middle" dominant-baseline="central" '
                        f'fill="{text_colour(fill)}">{len(numbers)}</text>'
                    )
                out.append("</g>")
        out.append("</g>")
        if maximum:
            lx, ly, lw = lay.margin, lay.legend_y, f * 12
            out += [
                f'<g class="legend"><rect x="{_n(lx)}" y="{_n(ly)}" width="{_n(lw)}" '
                f'height="{_n(f)}" fill="url(#scale)" stroke="{GRID}"/>',
                f'<text x="{_n(lx)}" y="{_n(ly + f * 2.2)}" fill="{INK}">1</text>',
                f'<text x="{_n(lx + lw)}" y="{_n(ly + f * 2.2)}" text-anchor="end" '
                f'fill="{INK}">{maximum}</text>',
                f'<text x="{_n(lx + lw + f)}" y="{_n(ly + f * 0.9)}" fill="#555555">'
                "works per cell</text></g>",
            ]
        out.append("</svg>")
        return "\n".join(out) + "\n"


# --- PNG ---------------------------------------------------------------------------------------

FONT_FILES = ("DejaVuSans.ttf", "Arial.ttf", "LiberationSans-Regular.ttf")
"""Tried in order (Pillow looks in the system's font folders); else Pillow's bundled font."""


def _font(size: int) -> Any:
    from PIL import ImageFont

    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


class _Glyphs:
    """Replace characters the font cannot draw (Pillow's bundled font has no Greek) with a
    readable ASCII spelling, so "IFN-α" becomes "IFN-alpha" rather than "IFN-□"."""

    def __init__(self, font: Any) -> None:
        self.font = font
        self.missing = self._mask("\U000f0000")  # a private-use character: the .notdef box
        self.known: dict[str, str] = {}

    def _mask(self, ch: str) -> tuple[bytes, tuple[int, int]]:
        mask = self.font.getmask(ch)
        return bytes(mask), mask.size

    def __call__(self, text: str) -> str:
        return "".join(self._char(ch) for ch in text)

    def _char(self, ch: str) -> str:
        if ch.isascii() or ch.isspace():
            return ch
        if ch not in self.known:
            self.known[ch] = ch if self._mask(ch) != self.missing else _ascii(ch)
        return self.known[ch]


_SPELLED = {"×": "x", "–": "-", "—": "-", "…": "...", "•": "*", "’": "'", "‘": "'"}


def _ascii(ch: str) -> str:
    if ch in _SPELLED:
        return _SPELLED[ch]
    name = unicodedata.name(ch, "")
    if name.startswith("GREEK") and " LETTER " in name:
        word = name.rsplit(" ", 1)[-1].lower()
        return word.capitalize() if "CAPITAL" in name else word
    plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
    return plain or "?"


class PngFormat:
    """Portable Network Graphics: the same heatmap as the SVG, drawn with Pillow."""

    name = "png"
    binary = True
    scale = 2  # draw at twice the SVG's size, for screens and slides

    def evidence_map(self, emap: EvidenceMap, ctx: RenderContext) -> bytes:
        try:
            from PIL import Image, ImageDraw
        except ImportError:  # Pillow is optional: only PNG maps need it (22 MB)
            raise UsageError(
                "Writing PNG needs the Pillow package, which is not installed.",
                hint="Install it with `pip install 'cytobib[png]'`, or write SVG (-f svg).",
            ) from None
        s = self.scale
        base = 12
        fonts = {size: _font(round(size * s)) for size in (base, round(base * 1.4))}
        glyphs = {size: _Glyphs(font) for size, font in fonts.items()}

        def measure(text: str, size: float) -> float:
            key = base if size < base * 1.2 else round(base * 1.4)
            width: float = fonts[key].getlength(glyphs[key](text))
            return width / s

        lay = layout(emap, measure, font=base)
        image = Image.new("RGB", (math.ceil(lay.width * s), math.ceil(lay.height * s)), "white")
        draw = ImageDraw.Draw(image)
        font, big = fonts[base], fonts[round(base * 1.4)]
        plain, plain_big = glyphs[base], glyphs[round(base * 1.4)]
        f = lay.font * s
        maximum = max((len(v) for v in emap.cells.values()), default=0)

        def at(x: float, y: float) -> tuple[float, float]:
            return x * s, y * s

        draw.text(at(lay.margin, lay.margin), plain_big(emap.title), fill=INK, font=big)
        subtitle = plain(_subtitle(emap))
        draw.text(at(lay.margin, lay.margin + lay.font * 1.9), subtitle, fill="#555555", font=font)
        if not emap.rows or not emap.cols:
            draw.text(at(lay.margin, lay.grid_y), "No annotated works to map.", fill=INK,
                      font=font)  # fmt: skip
        for c, col in enumerate(emap.cols):
            text = plain(short_label(col))
            w = font.getlength(text)
            ascent, descent = font.getmetrics()
            h = ascent + descent
            label = Image.new("L", (math.ceil(w) + 2, h + 2), 0)
            ImageDraw.Draw(label).text((1, 1), text, fill=255, font=font)
            turned = label.rotate(45, expand=True, resample=Image.Resampling.BICUBIC)
            # After a 45° turn the text's bottom-left corner is the lowest point, h/√2 from
            # the left edge: put it just above the middle of the column's top edge.
            x = (lay.grid_x + (c + 0.5) * lay.cell_w) * s - (h + 2) * SIN45 - f * 0.2
            y = (lay.grid_y - lay.font * 0.3) * s - turned.height
            image.paste(Image.new("RGB", turned.size, INK), (round(x), round(y)), turned)
        for r, row in enumerate(emap.rows):
            y = (lay.grid_y + (r + 0.5) * lay.cell_h) * s
            draw.text(((lay.grid_x - lay.font * 0.5) * s, y), plain(short_label(row)),
                      fill=INK, font=font, anchor="rm")  # fmt: skip
        for r, row in enumerate(emap.rows):
            for c, col in enumerate(emap.cols):
                numbers = emap.cells.get((row, col), ())
                x, y = lay.cell(r, c)
                fill = colour(len(numbers), maximum)
                draw.rectangle(
                    [x * s, y * s, (x + lay.cell_w) * s, (y + lay.cell_h) * s],
                    fill=fill, outline=GRID,
                )  # fmt: skip
                if numbers:
                    draw.text(((x + lay.cell_w / 2) * s, (y + lay.cell_h / 2) * s),
                              str(len(numbers)), fill=text_colour(fill), font=font,
                              anchor="mm")  # fmt: skip
        if maximum:
            lx, ly, lw = lay.margin * s, lay.legend_y * s, lay.font * 12 * s
            steps = max(int(lw), 1)
            for i in range(steps):
                shade = colour(1 + round(i / max(steps - 1, 1) * (maximum - 1)), maximum)
                draw.line([(lx + i, ly), (lx + i, ly + f)], fill=shade)
            draw.rectangle([lx, ly, lx + lw, ly + f], outline=GRID)
            draw.text((lx, ly + f * 1.3), "1", fill=INK, font=font)
            draw.text((lx + lw, ly + f * 1.3), str(maximum), fill=INK, font=font, anchor="ra")
            draw.text((lx + lw + f, ly), "works per cell", fill="#555555", font=font)
        out = io.BytesIO()
        image.save(out, format="PNG")  # optimize=True: 2.5x slower for 1 % smaller
        return out.getvalue()
