"""HTML: one self-contained page per view (inline CSS, no external assets, print-friendly).

Every value goes through :func:`escape.html_text` or the template's autoescape; citations are
the engine's HTML fragments, which are already safe. A Content-Security-Policy in the page
forbids every load from outside and any script but the table's own click-to-sort, whose hash
it names, so even a value that slipped through could not run or fetch anything. Tables and
maps are complete without JavaScript; sorting is a convenience.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from markupsafe import Markup

from cytobib.formats.escape import doi_url, html_text, xml_text
from cytobib.formats.heatmap import table_shade
from cytobib.formats.links import work_link
from cytobib.formats.templating import ItemContexts, environment
from cytobib.model import Caveat
from cytobib.views import EvidenceMap, Item, ReadingList, Row, Table

_CSS = """
:root {
  --ink: #1d2230; --muted: #5b6475; --line: #d9dde5; --accent: #1f5fa8;
  --warn: #a3001b; --warn-bg: #fdecee; --paper: #fff; --head: #eef1f5;
}
* { box-sizing: border-box; }
body {
  margin: 0; background: #f3f4f6; color: var(--ink);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    sans-serif;
}
main {
  max-width: 56rem; margin: 2rem auto; padding: 2rem 2.5rem 1.5rem; background: var(--paper);
  border-radius: 6px; box-shadow: 0 1px 3px rgba(0, 0, 0, .1);
}
main.wide { max-width: none; margin: 1rem; padding: 1.5rem 1.5rem 1rem; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 .35rem; overflow-wrap: anywhere; }
h2 {
  font-size: 1.3rem; line-height: 1.3; margin: 2.2rem 0 .6rem; padding-bottom: .3rem;
  border-bottom: 2px solid var(--line); overflow-wrap: anywhere;
}
h2 .count, nav.toc .count { color: var(--muted); font-weight: normal; font-size: .9em; }
h4 {
  font-size: .75rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted);
  margin: .75rem 0 .2rem;
}
a { color: var(--accent); }
code { font-size: .9em; background: var(--head); padding: .05rem .3rem; border-radius: 3px; }
.meta { color: var(--muted); font-size: .9rem; margin: 0 0 1.5rem; }
.meta p { margin: .2rem 0; }
nav.toc {
  border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1.25rem;
  background: #fafbfc; margin-bottom: 1.5rem;
}
nav.toc h2 { font-size: 1rem; margin: 0 0 .4rem; padding: 0; border: 0; }
nav.toc ol { margin: 0; padding-left: 1.4rem; columns: 2 15rem; column-gap: 2rem; }
nav.toc li { margin: .1rem 0; break-inside: avoid; }
.item { display: flex; gap: .9rem; padding: 1rem 0; border-top: 1px solid var(--line); }
h2 + .item, .group > .item:first-child { border-top: 0; }
.item .num {
  flex: 0 0 auto; min-width: 2.8rem; text-align: right; font-weight: 700; color: var(--accent);
  font-variant-numeric: tabular-nums;
}
.item .num::before { content: "["; }
.item .num::after { content: "]"; }
.item.flagged .num { color: var(--warn); }
.item .body { flex: 1; min-width: 0; }
.item p { margin: .4rem 0; }
.item p.citation { margin-top: 0; overflow-wrap: anywhere; }
a.doi { font-size: .85rem; margin-left: .2rem; overflow-wrap: anywhere; }
.warning {
  color: var(--warn); background: var(--warn-bg); border: 2px solid var(--warn);
  border-left-width: .5rem; border-radius: 4px; padding: .45rem .75rem; font-weight: 700;
  overflow-wrap: anywhere;
}
.warning .icon { font-size: 1.15em; }
.note { color: var(--muted); font-style: italic; font-size: .9rem; }
.gaps { color: var(--muted); font-style: italic; font-size: .9rem; }
.source { color: var(--muted); font-style: italic; }
.label {
  font-size: .75rem; font-weight: 700; text-transform: uppercase; letter-spacing: .05em;
  color: var(--muted); margin-right: .3rem;
}
.role, .numbers { color: var(--muted); }
ul.claims, ul.caveats { margin: .2rem 0 .4rem; padding-left: 1.3rem; }
li { margin: .2rem 0; }
.badge {
  display: inline-block; font-size: .72rem; line-height: 1.45; padding: 0 .5rem;
  border-radius: 999px; border: 1px solid #9aa3b2; color: #3d4454; background: #f1f3f6;
  white-space: nowrap; vertical-align: .08em;
}
.badge[data-evidence="meta-analysis"], .badge[data-evidence="clinical-trial"] {
  border-color: #2e7d32; color: #1b5e20; background: #e8f5e9;
}
.badge[data-evidence="observational"] {
  border-color: #00796b; color: #00574b; background: #e0f2f1;
}
.badge[data-evidence="case-report"] {
  border-color: #b26a00; color: #7a4800; background: #fff4e0;
}
.badge[data-evidence="preclinical-in-vivo"], .badge[data-evidence="in-vitro"] {
  border-color: #6a4c93; color: #4a2f73; background: #f1ecf8;
}
.abstract { font-size: .92rem; color: #333a48; }
footer {
  margin-top: 2rem; padding-top: .6rem; border-top: 1px solid var(--line);
  color: var(--muted); font-size: .8rem;
}
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; line-height: 1.4; }
caption { text-align: left; color: var(--muted); font-size: .85rem; padding: .3rem 0; }
th, td { text-align: left; vertical-align: top; padding: .45rem .55rem; }
td { border-bottom: 1px solid var(--line); overflow-wrap: break-word; }
thead th {
  background: var(--head); border-bottom: 2px solid #b9c0cc; position: sticky; top: 0;
  min-width: 4.5rem;
}
td ul { margin: 0; padding-left: 1.05rem; }
td li { margin: 0 0 .2rem; }
table.sortable thead th { cursor: pointer; user-select: none; }
table.sortable thead th::after { content: " \\2195"; color: #9aa3b2; font-weight: normal; }
table.sortable thead th[aria-sort="ascending"]::after { content: " \\25B2"; color: var(--ink); }
table.sortable thead th[aria-sort="descending"]::after { content: " \\25BC"; color: var(--ink); }
tr.flagged td { background: var(--warn-bg); }
tr.flagged td:first-child { box-shadow: inset .3rem 0 0 var(--warn); }
.flag { display: block; color: var(--warn); font-weight: 700; font-size: .75rem; }
td.c-citation { min-width: 9rem; }
td.c-year { min-width: 3.5rem; }
td.c-claims, td.c-summary { min-width: 20rem; }
td.c-caveats { min-width: 16rem; }
ol.refs { padding-left: 2.8rem; max-width: 60rem; }
ol.refs li { margin: .35rem 0; overflow-wrap: anywhere; }
ol.refs .warning {
  display: inline-block; margin: .2rem 0; padding: .1rem .5rem; font-size: .85rem;
}
table.heatmap { width: auto; }
table.heatmap th[scope="row"] { background: var(--head); white-space: nowrap; }
table.heatmap thead th { white-space: normal; min-width: 5rem; vertical-align: bottom; }
table.heatmap td { text-align: center; border: 1px solid #fff; min-width: 5rem; }
table.heatmap td, table.heatmap th[scope="row"] { vertical-align: middle; }
table.heatmap td.empty { background: #fafbfc; }
.heat .n { display: block; font-weight: 700; font-size: 1.05rem; }
.heat .cites { display: block; font-size: .72rem; }
.heat a { color: inherit; }
.legend { display: flex; align-items: center; gap: .3rem; font-size: .8rem; color: var(--muted); }
.legend span.sw { display: inline-block; width: 1.6rem; height: .9rem; border-radius: 2px; }
@media print {
  body { background: #fff; font-size: 10.5pt; }
  main, main.wide { max-width: none; margin: 0; padding: 0; box-shadow: none; }
  h2, h4 { break-after: avoid; }
  .item, tr, nav.toc li, ol.refs li { break-inside: avoid; }
  thead { display: table-header-group; }
  thead th { position: static; }
  a { color: inherit; text-decoration: none; }
  table.sortable thead th::after { content: none; }
  .table-wrap { overflow: visible; }
  .warning, .badge, tr.flagged td, td.heat, .legend .sw {
    -webkit-print-color-adjust: exact; print-color-adjust: exact;
  }
}
"""

_PRINT_PORTRAIT = "@page { margin: 1.8cm; }"
_PRINT_LANDSCAPE = "@page { size: landscape; margin: 1.2cm; }"

# Click (or Enter on) a header to sort the rows of its table; numbers sort as numbers and a
# cell's data-sort attribute, when present, overrides its text.
_SORT_SCRIPT = """
(function () {
  "use strict";
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  function key(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var value = cell.getAttribute("data-sort");
    return value !== null ? value : cell.textContent.trim();
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, index) {
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var order = collator.compare(key(a, index), key(b, index));
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.tabIndex = 0;
      th.title = "Sort by this column";
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  });
}());
"""


def _csp(script: str | None) -> str:
    """No fetches at all; inline styles; only the given script (by its hash), if any."""
    if script is None:
        scripts = "'none'"
    else:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
        scripts = f"'sha256-{digest}'"
    return (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src {scripts}; base-uri 'none'; form-action 'none'"
    )


def _page(title: str, body: str, *, wide: bool = False, script: str | None = None) -> str:
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{html_text(_csp(script))}">',
        '<meta name="generator" content="cytobib">',
        f"<title>{html_text(title)}</title>",
        "<style>" + _CSS + (_PRINT_LANDSCAPE if wide else _PRINT_PORTRAIT) + "\n</style>",
        "</head>",
        "<body>",
        '<main class="wide">' if wide else "<main>",
    ]
    tail = ["</main>"]
    if script is not None:
        tail.append("<script>" + script + "</script>")
    tail += ["</body>", "</html>"]
    return "\n".join([*head, body.rstrip(), *tail]) + "\n"


def _link(item: Item) -> tuple[str | None, str]:
    """(href, link text) for a work: its DOI if it has one, else an http(s) URL.

    When the citation already prints the DOI or URL (Vancouver, APA), the link is a short
    "DOI ↗" or "link ↗" instead of the same target a second time.
    """
    link = work_link(item.record.entry, item.reference.text)
    if link is None:
        return None, ""
    return link.href, (f"{link.short} ↗" if link.shown else link.text)


def _clean(value: Any) -> Any:
    """Template variables without XML-invalid characters (autoescape does not drop them)."""
    if type(value) is str:  # most values; not Markup, a str subclass
        return xml_text(value)
    if isinstance(value, Markup):
        return value
    if isinstance(value, Caveat):  # keeps its source for the template
        return Caveat(xml_text(value), value.source)
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _meta(lines: Iterable[str]) -> str:
    return '<div class="meta">' + "".join(f"<p>{line}</p>" for line in lines if line) + "</div>"


def _filter_line(where: str | None) -> str:
    return f"Filter: <code>{html_text(where)}</code>" if where else ""


def _footer(generated: str) -> str:
    return f"<footer>Generated by cytobib on {html_text(generated)}.</footer>"


def _warning(text: str, *, tag: str = "p") -> str:
    return (
        f'<{tag} class="warning" role="alert"><span class="icon" aria-hidden="true">⚠</span> '
        f"{html_text(text)}</{tag}>"
    )


def _notices(notices: Sequence[str]) -> list[str]:
    """The view's warnings (notes left out), in the alert style, under the title."""
    if not notices:
        return []
    rest = "".join(f"<li>{html_text(line)}</li>" for line in notices[1:])
    return [
        '<div class="warning" role="alert"><p><span class="icon" aria-hidden="true">⚠</span> '
        f"<strong>{html_text(notices[0])}</strong></p>"
        + (f"<ul>{rest}</ul>" if rest else "")
        + "</div>"
    ]


def _references(items: Sequence[Item]) -> list[str]:
    if not items:
        return []
    out = ['<section id="references">', "<h2>References</h2>", '<ol class="refs">']
    for item in items:
        href, text = _link(item)
        link = f' <a class="doi" href="{html_text(href)}">{html_text(text)}</a>' if href else ""
        warning = "<br>" + _warning(item.warning, tag="span") if item.warning else ""
        out.append(
            f'<li id="ref-{item.number}" value="{item.number}">'
            f"{xml_text(item.reference.html)}{link}{warning}</li>"
        )
    out += ["</ol>", "</section>"]
    return out


def _cell(col: str, value: str | tuple[str, ...]) -> str:
    if isinstance(value, tuple):
        values = [v for v in value if v]
        if len(values) > 1:
            return "<ul>" + "".join(f"<li>{html_text(v)}</li>" for v in values) + "</ul>"
        return html_text(values[0]) if values else ""
    if col == "doi" and value:
        # Let a long DOI wrap after its slashes and dots rather than anywhere.
        shown = re.sub(r"([/.])", r"\1<wbr>", html_text(value))
        return f'<a href="{html_text(doi_url(value))}">{shown}</a>'
    return html_text(value)


def _row(row: Row, columns: Sequence[tuple[str, str]], linked: bool) -> str:
    cells = []
    for col, _ in columns:
        value = row.cells.get(col, "")
        attrs = f' class="c-{html_text(col)}"'
        if col == "citation":
            text = html_text(value if isinstance(value, str) else "; ".join(value))
            content = f'<a href="#ref-{row.number}">{text}</a>' if linked else text
            if row.flag:
                label = row.flag.split(" (")[0]
                content = (
                    f'<span class="flag" title="{html_text(row.flag)}">⚠ {html_text(label)}'
                    f"</span>{content}"
                )
            attrs += f' data-sort="{row.number}"'
        else:
            content = _cell(col, value)
        cells.append(f"<td{attrs}>{content}</td>")
    flagged = ' class="flagged"' if row.flag else ""
    return f"<tr{flagged}>" + "".join(cells) + "</tr>"


def _heat(count: int, top: int) -> tuple[str, str]:
    """(background, text colour) for a count, on the one table ramp."""
    rgb, dark = table_shade(count, top)
    return "#{:02x}{:02x}{:02x}".format(*rgb), ("#ffffff" if dark else "#0b1a33")


class HtmlFormat:
    name = "html"
    binary = False

    def reading_list(self, view: ReadingList, ctx: Any) -> str:
        env = environment("html", html_text, ctx.root)
        template = env.get_template("item.html.j2")
        meta = [
            f"{view.count} works · style: {html_text(view.style)}"
            + (f" · grouped by {html_text(view.group_by)}" if view.group_by else "")
            + f" · generated {html_text(view.generated)}",
            _filter_line(view.where),
        ]
        out = [f"<h1>{html_text(view.title)}</h1>", _meta(meta), *_notices(view.notices)]
        titled = [g for g in view.groups if g.title]
        if len(titled) > 1:
            out += ['<nav class="toc" aria-label="Contents">', "<h2>Contents</h2>", "<ol>"]
            for group in titled:
                out.append(
                    f'<li><a href="#{html_text(group.anchor)}">{html_text(group.title)}</a> '
                    f'<span class="count">({len(group.items)})</span></li>'
                )
            out += ["</ol>", "</nav>"]
        contexts = ItemContexts(
            ctx.vocabulary, view.sections, lambda html: Markup(xml_text(html)), _clean
        )

        def render_item(item: Item, anchor: str) -> str:
            variables = contexts(item)
            href, text = _link(item)
            variables["url"] = Markup(html_text(href)) if href else ""
            variables["link_text"] = text
            variables["id"] = f"{anchor}--{item.number}"
            return template.render(**variables).rstrip()

        tasks = [(item, group.anchor) for group in view.groups for item in group.items]
        texts = iter(ctx.items("html", view.sections, tasks, render_item))
        for group in view.groups:
            out.append(f'<section class="group" id="{html_text(group.anchor)}">')
            if group.title:
                out.append(
                    f"<h2>{html_text(group.title)} "
                    f'<span class="count">({len(group.items)})</span></h2>'
                )
            out.extend(next(texts) for _ in group.items)
            out.append("</section>")
        out.append(_footer(view.generated))
        return _page(view.title, "\n".join(out))

    def table(self, table: Table, ctx: Any) -> str:
        works = len({r.number for r in table.rows})
        meta = [
            f"{works} works · one row per {html_text(table.rows_mode)}"
            f" · generated {html_text(table.generated)}",
            _filter_line(table.where),
            "Click a column heading to sort." if table.rows else "",
        ]
        out = [f"<h1>{html_text(table.title)}</h1>", _meta(meta), *_notices(table.notices)]
        linked = bool(table.references)
        for group in table.groups:
            out.append(f'<section class="group" id="{html_text(group.anchor)}">')
            if group.title:
                out.append(
                    f"<h2>{html_text(group.title)} "
                    f'<span class="count">({len(group.rows)})</span></h2>'
                )
            out += ['<div class="table-wrap">', '<table class="review sortable">', "<thead><tr>"]
            out += [
                f'<th scope="col" class="c-{html_text(col)}">{html_text(heading)}</th>'
                for col, heading in table.columns
            ]
            out += ["</tr></thead>", "<tbody>"]
            out += [_row(row, table.columns, linked) for row in group.rows]
            out += ["</tbody>", "</table>", "</div>", "</section>"]
        out += _references(table.references)
        out.append(_footer(table.generated))
        return _page(table.title, "\n".join(out), wide=True, script=_SORT_SCRIPT)

    def evidence_map(self, emap: EvidenceMap, ctx: Any) -> str:
        top = max((len(v) for v in emap.cells.values()), default=0)
        meta = [
            f"Rows: {html_text(emap.row_heading.lower())} · columns: "
            f"{html_text(emap.col_heading.lower())} · {len(emap.references)} works",
            "Each cell gives the number of works, then their numbers in the reference list.",
        ]
        out = [f"<h1>{html_text(emap.title)}</h1>", _meta(meta), *_notices(emap.notices)]
        if top:
            swatches = "".join(
                f'<span class="sw" style="background-color:{_heat(n, top)[0]}"></span>'
                for n in range(1, top + 1)
            )
            out.append(f'<p class="legend">1 {swatches} {top} works</p>')
        out += ['<div class="table-wrap">', '<table class="heatmap">', "<thead><tr>"]
        out.append(f'<th scope="col">{html_text(emap.row_heading)}</th>')
        out += [f'<th scope="col">{html_text(c)}</th>' for c in emap.cols]
        out += ["</tr></thead>", "<tbody>"]
        linked = bool(emap.references)
        for row in emap.rows:
            cells = [f'<th scope="row">{html_text(row)}</th>']
            for col in emap.cols:
                numbers = emap.cells.get((row, col), ())
                if not numbers:
                    cells.append('<td class="heat empty"></td>')
                    continue
                background, ink = _heat(len(numbers), top)
                cites = ", ".join(
                    f'<a href="#ref-{n}">{n}</a>' if linked else str(n) for n in numbers
                )
                cells.append(
                    f'<td class="heat" style="background-color:{background};color:{ink}" '
                    f'title="{html_text(row)} × {html_text(col)}: {len(numbers)}">'
                    f'<span class="n">{len(numbers)}</span><span class="cites">[{cites}]</span>'
                    "</td>"
                )
            out.append("<tr>" + "".join(cells) + "</tr>")
        out += ["</tbody>", "</table>", "</div>"]
        out += _references(emap.references)
        return _page(emap.title, "\n".join(out), wide=True)
