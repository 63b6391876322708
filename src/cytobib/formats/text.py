"""Plain text: reading lists for e-mail and terminals."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from cytobib.formats.escape import fragment_to
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
        contexts = ItemContexts(
            ctx.vocabulary, view.sections, lambda html: Markup(_plain(fragment_to(html, "txt")))
        )

        def render_item(item: Any) -> str:
            return template.render(**contexts(item)).rstrip()

        tasks = [(item,) for group in view.groups for item in group.items]
        texts = iter(ctx.items("txt", view.sections, tasks, render_item))
        for group in view.groups:
            if group.title:
                heading = f"{group.title} ({len(group.items)})"
                out += [heading, "-" * len(heading), ""]
            out.extend(next(texts) + "\n" for _ in group.items)
        return "\n".join(out).rstrip() + "\n"
