"""Plain text: reading lists for e-mail and terminals."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from cytobib.formats.escape import fragment_to
from cytobib.formats.links import work_link
from cytobib.formats.templating import ItemContexts, environment
from cytobib.views import ReadingList

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _plain(text: str) -> str:
    """Plain text needs no escaping, only control characters removed and lines folded."""
    return _CONTROL.sub("", " ".join(text.split()))


class TextFormat:
    name = "txt"
    binary = False

    def reading_list(self, view: ReadingList, ctx: Any) -> str:
        env = environment("txt", _plain, ctx.root)
        template = env.get_template("item.txt.j2")
        out = [view.title, "=" * len(view.title)]
        out.append(f"{view.count} works; style {view.style}; generated {view.generated}")
        if view.where:
            out.append(f"Filter: {view.where}")
        out.append("")
        if view.notices:
            out.append(f"WARNING: {_plain(view.notices[0])}")
            out += [f"  - {_plain(line)}" for line in view.notices[1:]]
            out.append("")
        contexts = ItemContexts(
            ctx.vocabulary, view.sections, lambda html: Markup(_plain(fragment_to(html, "txt")))
        )

        def render_item(item: Any) -> str:
            variables = contexts(item)
            link = work_link(item.record.entry, item.reference.text)
            if link is not None and link.printed_in(item.reference.text):
                variables["url"] = ""  # the citation prints it: no second copy below
            return template.render(**variables).rstrip()

        tasks = [(item,) for group in view.groups for item in group.items]
        texts = iter(ctx.items("txt", view.sections, tasks, render_item))
        for group in view.groups:
            if group.title:
                heading = f"{group.title} ({len(group.items)})"
                out += [heading, "-" * len(heading), ""]
            out.extend(next(texts) + "\n" for _ in group.items)
        return "\n".join(out).rstrip() + "\n"
