"""Evidence-map heatmaps: SVG parsed with xml.etree, PNG decoded with Pillow."""

from __future__ import annotations

import io
import itertools
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cytobib.errors import UnknownFormatError, UsageError
from cytobib.formats import heatmap, registry
from cytobib.formats.heatmap import PngFormat, SvgFormat, colour, text_colour
from cytobib.views import EvidenceMap
from viewkit import GREEK, HOSTILE, context, hostile_map, hostile_table

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))


def empty_map() -> EvidenceMap:
    return EvidenceMap("Evidence map", "Agent", "Cancer", (), (), {}, ())


def shown(element: ET.Element) -> str:
    """The visible text of an SVG <text>: without its <title> tooltip."""
    tip = element.find(f"{SVG}title")
    return (tip.tail or "") if tip is not None else (element.text or "")


def lightness(hex_colour: str) -> int:
    return sum(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def test_a_format_that_cannot_write_an_evidence_map_says_so_in_english() -> None:
    """The message a user reads after `evidence-map -f txt`: "an evidence map", not "a"."""
    with pytest.raises(UnknownFormatError) as info:
        registry.require(registry.get("txt"), "evidence_map")
    assert info.value.message == "The txt format cannot write an evidence map."
    assert info.value.hint is not None
    assert info.value.hint.startswith("Formats for an evidence map: ")


def test_registry_knows_svg_and_png_for_evidence_maps_only() -> None:
    """Both write evidence maps; asking them for a review table names the formats that can."""
    assert isinstance(registry.for_path("map.svg"), SvgFormat)
    assert isinstance(registry.get("png"), PngFormat)
    assert PngFormat.binary is True
    assert SvgFormat.binary is False
    with pytest.raises(UnknownFormatError, match="cannot write a table"):
        registry.require(SvgFormat(), "table")


def test_colour_scale_darkens_with_the_count() -> None:
    """Zero is white; more works, darker blue; the fullest cell is the darkest class."""
    shades = [colour(n, 6) for n in range(7)]
    assert shades[0] == "#ffffff"
    assert all(lightness(a) > lightness(b) for a, b in itertools.pairwise(shades))
    assert colour(6, 6) == heatmap.BLUES[-1]
    assert colour(1, 1) == heatmap.BLUES[-1]


def test_count_text_stays_readable() -> None:
    """Counts are white on the dark end of the scale and dark on the light end."""
    assert text_colour(heatmap.BLUES[-1]) == "#ffffff"
    assert text_colour(heatmap.BLUES[1]) == heatmap.INK


def test_svg_is_well_formed_xml_with_a_title() -> None:
    """The SVG parses as XML, is an <svg> in the SVG namespace, and is titled."""
    root = parse(SvgFormat().evidence_map(hostile_map(), context()))
    assert root.tag == f"{SVG}svg"
    assert root.findtext(f"{SVG}title") == f"Evidence map: agents × cancers {HOSTILE}"
    assert float(root.get("width", "0")) > 0


def test_svg_has_one_rectangle_per_cell_with_the_count_printed() -> None:
    """rows × cols rectangles; a count is printed only in cells with works."""
    emap = hostile_map()
    root = parse(SvgFormat().evidence_map(emap, context()))
    cells = root.find(f"{SVG}g[@class='cells']")
    assert cells is not None
    assert len(cells.findall(f"{SVG}g/{SVG}rect")) == len(emap.rows) * len(emap.cols)
    printed = sorted(t.text or "" for t in cells.iter(f"{SVG}text"))
    assert printed == ["1", "1", "2", "3"]


def test_svg_colours_follow_the_scale() -> None:
    """The cell with the most works gets the darkest colour; empty cells are white."""
    root = parse(SvgFormat().evidence_map(hostile_map(), context()))
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect") if r.get("stroke") == heatmap.GRID]
    assert fills.count(heatmap.BLUES[-1]) == 1  # the 3-work cell
    assert fills.count(heatmap.EMPTY_FILL) == 9 - 4


def test_svg_labels_are_escaped_text() -> None:
    """Hostile labels come back as text after parsing: no element or script is injected."""
    svg = SvgFormat().evidence_map(hostile_map(), context())
    assert "<script" not in svg
    root = parse(svg)
    assert not [e for e in root.iter() if e.tag in (f"{SVG}script", f"{SVG}b", "script")]
    labels = [t.text for t in root.iter(f"{SVG}title")]
    assert HOSTILE in labels
    assert "TNF-α & <b>x</b>" in labels
    visible = [shown(t) for t in root.iter(f"{SVG}text")]
    assert GREEK in visible
    cut = heatmap.short_label(HOSTILE)  # cut to 48 characters, in full in the tooltip
    assert cut.endswith("…")
    assert cut in visible


def test_svg_tooltips_name_the_works() -> None:
    """Each cell's <title> gives the pair, the count and the works' numbers."""
    root = parse(SvgFormat().evidence_map(hostile_map(), context()))
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert f"{GREEK} × melanoma: 2 works [1], [2]" in titles
    assert f"IL-2 × {HOSTILE} cancer: 0 works" in titles


def test_svg_is_self_contained() -> None:
    """No scripts, images, external links or style sheets: it opens anywhere, offline."""
    svg = SvgFormat().evidence_map(hostile_map(), context())
    root = parse(svg)
    for element in root.iter():
        assert element.tag.split("}")[-1] not in ("script", "image", "foreignObject", "style")
        for name, value in element.attrib.items():
            assert "href" not in name
            assert "http" not in value or name == "xmlns"
    assert "@import" not in svg


def test_long_labels_are_shortened_with_the_full_text_in_a_tooltip() -> None:
    """A label over 48 characters is cut with "…"; the tooltip keeps all of it."""
    long = "Interleukin " * 8
    emap = EvidenceMap("Map", "Agent", "Cancer", (long,), ("melanoma",),
                       {(long, "melanoma"): (1,)}, ())  # fmt: skip
    root = parse(SvgFormat().evidence_map(emap, context()))
    rows = root.find(f"{SVG}g[@class='rows']")
    assert rows is not None
    label = rows.find(f"{SVG}text")
    assert label is not None
    assert shown(label).endswith("…")
    assert len(shown(label)) == heatmap.MAX_LABEL
    assert label.findtext(f"{SVG}title") == long.strip()


def test_empty_map_is_still_a_valid_picture() -> None:
    """No rows or columns: a titled SVG saying there is nothing to map."""
    root = parse(SvgFormat().evidence_map(empty_map(), context()))
    assert any("No annotated works" in (t.text or "") for t in root.iter(f"{SVG}text"))


def test_svg_is_deterministic() -> None:
    """The same map gives the same text."""
    emap = hostile_map()
    assert SvgFormat().evidence_map(emap, context()) == SvgFormat().evidence_map(emap, context())


def test_png_is_a_picture_with_the_scale_colours() -> None:
    """A PNG at twice the SVG's size, showing the darkest class for the fullest cell."""
    image_module = pytest.importorskip("PIL.Image")
    emap = hostile_map()
    data = PngFormat().evidence_map(emap, context())
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = image_module.open(io.BytesIO(data)).convert("RGB")
    svg_root = parse(SvgFormat().evidence_map(emap, context()))
    assert image.width >= float(svg_root.get("width", "0"))
    dark = tuple(int(heatmap.BLUES[-1][i : i + 2], 16) for i in (1, 3, 5))
    light = tuple(int(colour(1, 3)[i : i + 2], 16) for i in (1, 3, 5))
    pixels = image.getcolors(maxcolors=1 << 20) or []
    seen = {rgb: n for n, rgb in pixels}
    assert seen.get(dark, 0) > 500  # one 3-work cell, 2x scale
    assert seen.get(light, 0) > 1000  # two 1-work cells


def test_png_of_an_empty_map() -> None:
    """Nothing to map still gives a valid PNG."""
    pytest.importorskip("PIL")
    assert PngFormat().evidence_map(empty_map(), context()).startswith(b"\x89PNG")


def test_png_spells_out_letters_the_font_lacks() -> None:
    """With Pillow's bundled font (no Greek), "IFN-α" is drawn as "IFN-alpha", not a box."""
    font_module = pytest.importorskip("PIL.ImageFont")
    glyphs = heatmap._Glyphs(font_module.load_default(size=12))
    assert glyphs("IFN-α × TGF-Β – ok") == "IFN-alpha x TGF-Beta - ok"
    assert glyphs("plain ASCII") == "plain ASCII"


def test_formats_without_a_table_method_are_refused_by_render() -> None:
    """render() with a review table and the SVG format is a clear usage error."""
    from cytobib import rendering

    with pytest.raises(UnknownFormatError, match="svg format cannot write a table"):
        rendering.render(hostile_table(("citation",)), SvgFormat(), context())


def test_table_shade_is_the_one_ramp_of_the_table_formats() -> None:
    """HTML, LaTeX and DOCX maps shade cells on one ramp: the fullest cell is Blues' last class
    with white text, the emptiest of several a pale blue with dark text."""
    from cytobib.formats import docx, html, latex
    from cytobib.formats.heatmap import BLUES, table_shade

    assert table_shade(5, 5) == ((8, 48, 107), True)
    assert "#{:02x}{:02x}{:02x}".format(*table_shade(5, 5)[0]) == BLUES[-1]
    assert table_shade(1, 5)[1] is False
    for count in range(1, 6):
        rgb, dark = table_shade(count, 5)
        assert html._heat(count, 5) == (
            "#{:02x}{:02x}{:02x}".format(*rgb),
            "#ffffff" if dark else "#0b1a33",
        )
        assert (
            latex._heat(count, 5)
            == docx._heat(count, 5)
            == ("{:02X}{:02X}{:02X}".format(*rgb), dark)
        )


def test_png_without_pillow_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, cli: Any, make_project: Callable[..., Path]
) -> None:
    """Pillow is optional: without it, a PNG map is a usage error naming the extra to install
    (exit 2, no traceback), and SVG still works."""
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL now fails, as if not installed
    with pytest.raises(UsageError, match="Pillow") as info:
        PngFormat().evidence_map(hostile_map(), context())
    assert "pip install 'cytobib[png]'" in (info.value.hint or "")
    root = make_project("@misc{a, title = {T}}\n")
    result = cli("evidence-map", "-C", root, "-o", root / "map.png")
    assert result.code == 2
    assert "cytobib[png]" in result.err
    assert "Traceback" not in result.err
    assert not (root / "map.png").exists()
    assert cli("evidence-map", "-C", root, "-o", root / "map.svg").code == 0
