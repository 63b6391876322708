"""Markdown (GitHub-flavoured): reading lists, review tables, evidence maps."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from cytobib.formats.escape import fragment_to, md_cell, md_inline
from cytobib.formats.links import work_link
from cytobib.formats.templating import ItemContexts, environment
from cytobib.views import EvidenceMap, Item, ReadingList, Table


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading (lower-case, punctuation dropped, spaces to '-')."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text, flags=re.UNICODE)
    return text.replace(" ", "-")


def _header(title: str, lines: list[str]) -> list[str]:
    out = [f"# {md_inline(title)}", ""]
    out += [line for line in lines if line]
    out.append("")
    return out


def _notices(notices: Sequence[str]) -> list[str]:
    """The view's warnings (notes left out) as a block quote under the title."""
    if not notices:
        return []
    out = [f"> **⚠ {md_inline(notices[0])}**"]
    if len(notices) > 1:
        out.append(">")
        out += [f"> - {md_inline(line)}" for line in notices[1:]]
    return [*out, ""]


def _references(items: Sequence[Item]) -> list[str]:
    """The numbered references under a table or map, each with its retraction or correction
    notice (as every other format prints it)."""
    if not items:
        return []
    out = ["## References", ""]
    for item in items:
        line = f"{item.number}. {fragment_to(item.reference.html, 'md')}"
        if item.warning:
            line += f" **⚠ {md_inline(item.warning)}**"
        out.append(line)
    out.append("")
    return out


def _link_variables(ctx_vars: dict[str, Any], item: Any) -> dict[str, Any]:
    """The item's link: its DOI, else a safe http(s) URL, else none; a short "DOI ↗" or
    "link ↗" when the citation prints the target already."""
    link = work_link(item.record.entry, item.reference.text)
    if link is None:
        ctx_vars["url"] = ""
        ctx_vars["link_text"] = ""
        return ctx_vars
    # Parentheses would end a Markdown link target early.
    ctx_vars["url"] = Markup(link.href.replace("(", "%28").replace(")", "%29"))
    ctx_vars["link_text"] = f"{link.short} ↗" if link.shown else link.text
    return ctx_vars


class MarkdownFormat:
    name = "md"
    binary = False

    def reading_list(self, view: ReadingList, ctx: Any) -> str:
        env = environment("md", md_inline, ctx.root)
        template = env.get_template("item.md.j2")
        meta = [
            f"{view.count} works · style: {md_inline(view.style)}"
            + (f" · grouped by {view.group_by}" if view.group_by else "")
            + f" · generated {view.generated}",
        ]
        if view.where:
            meta.append("")
            meta.append(f"Filter: `{view.where.replace('`', '')}`")
        out = _header(view.title, meta) + _notices(view.notices)
        headings = [(g, f"{g.title} ({len(g.items)})") for g in view.groups if g.title]
        if len(headings) > 1:
            out.append("## Contents")
            out.append("")
            for _, heading in headings:
                out.append(f"- [{md_inline(heading)}](#{github_slug(md_inline(heading))})")
            out.append("")
        contexts = ItemContexts(
            ctx.vocabulary, view.sections, lambda html: Markup(fragment_to(html, "md"))
        )

        def render_item(item: Item) -> str:
            return template.render(**_link_variables(contexts(item), item)).rstrip()

        tasks = [(item,) for group in view.groups for item in group.items]
        texts = iter(ctx.items("md", view.sections, tasks, render_item))
        for group in view.groups:
            if group.title:
                out.append(f"## {md_inline(group.title)} ({len(group.items)})")
                out.append("")
            out.extend(next(texts) + "\n" for _ in group.items)
        return "\n".join(out).rstrip() + "\n"

    def table(self, table: Table, ctx: Any) -> str:
        meta = [
            f"{len({r.number for r in table.rows})} works · one row per {table.rows_mode}"
            f" · generated {table.generated}"
        ]
        if table.where:
            meta.append(f"\nFilter: `{table.where.replace('`', '')}`")
        out = _header(table.title, meta) + _notices(table.notices)
        for group in table.groups:
            if group.title:
                out += [f"## {md_inline(group.title)} ({len(group.rows)})", ""]
            out.append("| " + " | ".join(md_cell(h) for _, h in table.columns) + " |")
            out.append("|" + "|".join("---" for _ in table.columns) + "|")
            for row in group.rows:
                cells = []
                for col, _ in table.columns:
                    value = row.cells[col]
                    if isinstance(value, tuple):
                        text = "<br>".join(f"• {md_cell(v)}" for v in value)
                    else:
                        text = md_cell(value)
                    if col == "citation" and row.flag:
                        text = f"**⚠ {md_cell(row.flag.split(' (')[0])}** " + text
                    cells.append(text)
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
        out += _references(table.references)
        return "\n".join(out).rstrip() + "\n"

    def evidence_map(self, emap: EvidenceMap, ctx: Any) -> str:
        out = _header(
            emap.title,
            [
                f"Cells: number of works, then their numbers in the list "
                f"below · {len(emap.references)} works"
            ],
        ) + _notices(emap.notices)
        out.append(
            "| "
            + md_cell(emap.row_heading)
            + " | "
            + " | ".join(md_cell(c) for c in emap.cols)
            + " |"
        )
        out.append("|" + "|".join("---" for _ in range(len(emap.cols) + 1)) + "|")
        for row in emap.rows:
            cells = []
            for col in emap.cols:
                nums = emap.cells.get((row, col), ())
                cells.append(
                    f"**{len(nums)}** " + ", ".join(f"[{n}]" for n in nums) if nums else ""
                )
            out.append("| " + md_cell(row) + " | " + " | ".join(cells) + " |")
        out.append("")
        if emap.unplaced:
            out.append(
                f"Not shown (their works name no {emap.col_heading.lower()}): "
                + ", ".join(md_inline(r) for r in emap.unplaced)
                + "."
            )
            out.append("")
        out += _references(emap.references)
        return "\n".join(out).rstrip() + "\n"
