"""LaTeX: complete documents that compile with pdflatex as written.

Text goes through :func:`escape.latex_text` (specials escaped, ASCII only, Greek as
``$\\lambda$``) and citations through ``fragment_to(html, "tex")``, so the files need no
Unicode engine. Packages are those of a basic TeX Live install (Debian: texlive-latex-base,
texlive-latex-recommended, lmodern): inputenc, fontenc, lmodern, geometry, xcolor (with
colortbl), array, booktabs, longtable, pdflscape, ragged2e, hyperref. Compact lists are built
on LaTeX's own ``list``; enumitem (texlive-latex-extra) is loaded only where it is installed,
for project templates written with its options. Links use ``\\hyperlink`` /
``\\hypertarget`` only, so one pdflatex run gives a complete PDF (no .aux round trip).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from cytobib.formats.escape import doi_url, fragment_to, latex_text, latex_url
from cytobib.formats.heatmap import table_shade
from cytobib.formats.links import work_link
from cytobib.formats.templating import ItemContexts, environment
from cytobib.views import EvidenceMap, Item, ReadingList, Row, Table

_PREAMBLE = r"""\documentclass[10pt,a4paper]{article}
\usepackage[utf8]{inputenc}
\usepackage[T1]{fontenc}
\IfFileExists{lmodern.sty}{\usepackage{lmodern}}{}
\usepackage[margin=2.2cm]{geometry}
\usepackage[table]{xcolor}
\IfFileExists{enumitem.sty}{\usepackage{enumitem}}{}
\usepackage{array}
\usepackage{booktabs}
\usepackage{longtable}
\usepackage{pdflscape}
\usepackage{ragged2e}
\definecolor{cbwarn}{HTML}{A3001B}
\definecolor{cbwarnbg}{HTML}{FDECEE}
\definecolor{cblink}{HTML}{1F5FA8}
\definecolor{cbmuted}{HTML}{5B6475}
\usepackage[colorlinks=true,linkcolor=cblink,urlcolor=cblink,pdfcreator={cytobib}]{hyperref}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.4ex}
\setlength{\emergencystretch}{3em}
% One reading-list item: its number as the label, the rest indented.
\newenvironment{cbitem}[1][]{%
  \begin{list}{}{\setlength{\leftmargin}{2.8em}\setlength{\labelwidth}{2.4em}%
    \setlength{\labelsep}{0.4em}\setlength{\topsep}{1.1ex}\setlength{\parsep}{0.5ex}}%
  \item[\textbf{[#1]}]}{\end{list}}
% A retraction or correction: red, bold, boxed.
\newcommand{\cbwarning}[1]{\par{\setlength{\fboxrule}{1.2pt}\fcolorbox{cbwarn}{cbwarnbg}{%
  \parbox{\dimexpr\linewidth-2\fboxsep-2\fboxrule\relax}{\raggedright\color{cbwarn}%
  \bfseries\large !\enspace\normalsize #1}}}\par}
\newcommand{\cbnote}[1]{\par{\small\itshape\color{cbmuted}#1}\par}
\newcommand{\cblabel}[1]{\textbf{#1}}
\newcommand{\cbbadge}[1]{{\footnotesize\sffamily\color{cbmuted}[#1]}}
\newcommand{\cbflag}[1]{{\color{cbwarn}\bfseries !\,#1}}
% Compact lists on LaTeX's own list (no enumitem): bullets with an optional left margin,
% and numbers; no space above, below or between items.
\newcommand{\cbcompact}{\setlength{\topsep}{0pt}\setlength{\partopsep}{0pt}%
  \setlength{\itemsep}{0pt}\setlength{\parsep}{0pt}}
\newenvironment{cblist}[1][1.2em]{\begin{list}{\textbullet}{\cbcompact
  \setlength{\leftmargin}{#1}\setlength{\labelsep}{0.4em}%
  \setlength{\labelwidth}{\dimexpr#1-0.4em\relax}}}{\end{list}}
\newcounter{cbenum}
\newenvironment{cbenumerate}{\begin{list}{\arabic{cbenum}.}{\usecounter{cbenum}\cbcompact}}%
  {\end{list}}
% Several values in one table cell: a compact list.
\newenvironment{cbvalues}{\begin{minipage}[t]{\linewidth}\RaggedRight
  \begin{cblist}[0.9em]}{\end{cblist}\vspace{0.4ex}\end{minipage}}
% The reference list after a table or map: [n] labels, hanging.
\newenvironment{cbrefs}{\begin{list}{}{\setlength{\leftmargin}{2.8em}%
  \setlength{\labelwidth}{2.4em}\setlength{\labelsep}{0.4em}\setlength{\itemsep}{0.3ex}}}%
  {\end{list}}
"""

# Relative widths of review-table columns; text-heavy columns get the room.
_WIDTHS = {
    "citation": 1.3, "year": 0.6, "agents": 1.5, "agent-class": 1.2, "targets": 1.3,
    "cancers": 1.3, "study-type": 1.0, "claims": 3.2, "evidence": 1.1, "caveats": 2.6,
    "status": 0.8, "doi": 1.5, "title": 2.2, "journal": 1.4, "summary": 3.0,
}  # fmt: skip
_LANDSCAPE_COLUMNS = 4  # more columns than this and a table turns the page


def breakable(text: str) -> str:
    """Escaped text (a DOI, a URL) that may break after its slashes and dots."""
    return re.sub(r"(?<!\\)([/.])", r"\1\\allowbreak{}", latex_text(text))


def _link(item: Item) -> str:
    """``\\href`` to the work's DOI, or to its http(s) URL; "" when it has neither.

    When the citation already prints the DOI or the URL, the link is a short "[link]".
    """
    link = work_link(item.record.entry, item.reference.text)
    if link is None:
        return ""
    text = "[link]" if link.shown else breakable(link.text)
    return rf"\href{{{latex_url(link.href)}}}{{{text}}}"


def _document(body: Sequence[str], *, landscape: bool = False) -> str:
    parts = [_PREAMBLE, r"\begin{document}"]
    if landscape:
        parts.append(r"\begin{landscape}")
    parts += [line for line in body if line]
    if landscape:
        parts.append(r"\end{landscape}")
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"


def _title_block(title: str, meta: Sequence[str]) -> list[str]:
    out = [rf"{{\LARGE\bfseries\raggedright {latex_text(title)}\par}}", r"\medskip"]
    lines = [m for m in meta if m]
    if lines:
        out.append(r"{\small\color{cbmuted}" + r"\\".join(lines) + r"\par}")
    out.append(r"\bigskip")
    return out


def _notices(notices: Sequence[str]) -> list[str]:
    """The view's warnings (notes left out) under the title, as flags."""
    lines = [rf"\cbflag{{{latex_text(n)}}}\par" for n in notices]
    return [*lines, r"\bigskip"] if lines else []


def _filter(where: str | None) -> str:
    return rf"Filter: \texttt{{{latex_text(where)}}}" if where else ""


def _references(items: Sequence[Item]) -> list[str]:
    if not items:
        return []
    out = [r"\section*{References}", r"\begin{cbrefs}"]
    for item in items:
        link = _link(item)
        line = (
            rf"\item[{{[{item.number}]}}]\hypertarget{{ref-{item.number}}}{{}}"
            + fragment_to(item.reference.html, "tex")
            + (f" {link}" if link else "")
        )
        if item.warning:
            line += rf"\newline\cbflag{{{latex_text(item.warning)}}}"
        out.append(line)
    out.append(r"\end{cbrefs}")
    return out


def _column_spec(widths: Sequence[float], align: Sequence[str]) -> str:
    """p-columns whose widths (fractions of the line) add up to the line width exactly."""
    total = sum(widths)
    cols = []
    for width, how in zip(widths, align, strict=True):
        share = f"{width / total:.4f}"
        cols.append(rf">{{{how}\arraybackslash}}p{{\dimexpr {share}\linewidth-2\tabcolsep\relax}}")
    return "".join(cols)


def _cell(col: str, value: str | tuple[str, ...]) -> str:
    if isinstance(value, tuple):
        values = [v for v in value if v]
        if len(values) > 1:
            items = "".join(rf"\item {latex_text(v)} " for v in values)
            return r"\begin{cbvalues}" + items + r"\end{cbvalues}"
        return latex_text(values[0]) if values else ""
    if col == "doi" and value:
        return rf"\href{{{latex_url(doi_url(value))}}}{{{breakable(value)}}}"
    return latex_text(value)


def _row(row: Row, columns: Sequence[tuple[str, str]], linked: bool) -> str:
    cells = []
    for col, _ in columns:
        value = row.cells.get(col, "")
        if col == "citation":
            text = latex_text(value if isinstance(value, str) else "; ".join(value))
            content = rf"\hyperlink{{ref-{row.number}}}{{{text}}}" if linked else text
            if row.flag:
                content = rf"\cbflag{{{latex_text(row.flag.split(' (')[0])}}}\newline " + content
        else:
            content = _cell(col, value)
        cells.append(content)
    color = r"\rowcolor{cbwarnbg}" if row.flag else ""
    return color + " & ".join(cells) + r" \\"


_ROW_RULE = r"\arrayrulecolor{black!20}\midrule\arrayrulecolor{black}"


def _longtable(
    spec: str, header: str, rows: Sequence[str], ncols: int, *, ruled: bool = True
) -> list[str]:
    body: list[str] = []
    for n, row in enumerate(rows):
        if n and ruled:
            body.append(_ROW_RULE)
        body.append(row)
    return [
        rf"\begin{{longtable}}{{{spec}}}",
        r"\toprule",
        header + r" \\",
        r"\midrule",
        r"\endfirsthead",
        rf"\multicolumn{{{ncols}}}{{@{{}}l}}{{\small\itshape (continued)}} \\",
        r"\toprule",
        header + r" \\",
        r"\midrule",
        r"\endhead",
        r"\bottomrule",
        r"\endlastfoot",
        *body,
        r"\end{longtable}",
    ]


def _heat(count: int, top: int) -> tuple[str, bool]:
    """(HTML colour, white text?) for a count, on the one table ramp."""
    rgb, dark = table_shade(count, top)
    return "{:02X}{:02X}{:02X}".format(*rgb), dark


class LatexFormat:
    name = "tex"
    binary = False

    def reading_list(self, view: ReadingList, ctx: Any) -> str:
        env = environment("tex", latex_text, ctx.root)
        template = env.get_template("item.tex.j2")
        meta = [
            f"{view.count} works; style: {latex_text(view.style)}"
            + (f"; grouped by {latex_text(view.group_by)}" if view.group_by else "")
            + f"; generated {latex_text(view.generated)}",
            _filter(view.where),
        ]
        out = _title_block(view.title, meta) + _notices(view.notices)
        titled = [(n, g) for n, g in enumerate(view.groups, 1) if g.title]
        if len(titled) > 1:
            out += [r"\section*{Contents}", r"\begin{cbenumerate}"]
            out += [
                rf"\item \hyperlink{{group-{n}}}{{{latex_text(g.title)}}} ({len(g.items)})"
                for n, g in titled
            ]
            out.append(r"\end{cbenumerate}")
        contexts = ItemContexts(
            ctx.vocabulary, view.sections, lambda html: Markup(fragment_to(html, "tex"))
        )

        def render_item(item: Item) -> str:
            variables = contexts(item)
            variables["link"] = Markup(_link(item))
            return template.render(**variables).rstrip()

        tasks = [(item,) for group in view.groups for item in group.items]
        texts = iter(ctx.items("tex", view.sections, tasks, render_item))
        for n, group in enumerate(view.groups, 1):
            if group.title:
                out.append(
                    rf"\section*{{\hypertarget{{group-{n}}}{{}}{latex_text(group.title)} "
                    rf"\textmd{{({len(group.items)})}}}}"
                )
            out.extend(next(texts) for _ in group.items)
        return _document(out)

    def table(self, table: Table, ctx: Any) -> str:
        works = len({r.number for r in table.rows})
        meta = [
            f"{works} works; one row per {latex_text(table.rows_mode)}; "
            f"generated {latex_text(table.generated)}",
            _filter(table.where),
        ]
        out = _title_block(table.title, meta) + _notices(table.notices)
        ids = [c for c, _ in table.columns]
        wide = len(ids) > _LANDSCAPE_COLUMNS
        spec = _column_spec([_WIDTHS.get(c, 1.2) for c in ids], [r"\RaggedRight"] * len(ids))
        header = " & ".join(rf"\textbf{{{latex_text(h)}}}" for _, h in table.columns)
        out += [r"\begingroup\footnotesize\setlength{\tabcolsep}{4pt}"]
        linked = bool(table.references)
        for group in table.groups:
            if group.title:
                out.append(
                    rf"\subsection*{{{latex_text(group.title)} \textmd{{({len(group.rows)})}}}}"
                )
            rows = [_row(row, table.columns, linked) for row in group.rows]
            out += _longtable(spec, header, rows, len(ids))
        out.append(r"\endgroup")
        out += _references(table.references)
        return _document(out, landscape=wide)

    def evidence_map(self, emap: EvidenceMap, ctx: Any) -> str:
        top = max((len(v) for v in emap.cells.values()), default=0)
        meta = [
            f"Rows: {latex_text(emap.row_heading.lower())}; columns: "
            f"{latex_text(emap.col_heading.lower())}; {len(emap.references)} works",
            "Each cell gives the number of works, then their numbers in the reference list.",
        ]
        out = _title_block(emap.title, meta) + _notices(emap.notices)
        ncols = len(emap.cols) + 1
        widths = [2.2] + [1.0] * len(emap.cols)
        spec = _column_spec(widths, [r"\RaggedRight"] + [r"\Centering"] * len(emap.cols))
        header = " & ".join(rf"\textbf{{{latex_text(h)}}}" for h in (emap.row_heading, *emap.cols))
        linked = bool(emap.references)
        rows = []
        for row in emap.rows:
            cells = [latex_text(row)]
            for col in emap.cols:
                numbers = emap.cells.get((row, col), ())
                if not numbers:
                    cells.append("")
                    continue
                color, white = _heat(len(numbers), top)
                cites = ", ".join(
                    rf"\hyperlink{{ref-{n}}}{{{n}}}" if linked else str(n) for n in numbers
                )
                ink = r"\color{white}\hypersetup{linkcolor=white}" if white else ""
                cells.append(
                    rf"\cellcolor[HTML]{{{color}}}{ink}\textbf{{{len(numbers)}}}"
                    rf"\par{{\scriptsize [{cites}]}}"
                )
            rows.append(" & ".join(cells) + r" \\")
        out += [r"\begingroup\small\setlength{\tabcolsep}{4pt}"]
        out += _longtable(spec, header, rows, ncols, ruled=False)
        out.append(r"\endgroup")
        out += _references(emap.references)
        return _document(out, landscape=len(emap.cols) > 5)
