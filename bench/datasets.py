"""Build the derived benchmark libraries of ../shared/data/PROVENANCE.md in bench/_generated/.

    .venv/bin/python bench/datasets.py            # build what is missing, print the table
    .venv/bin/python bench/datasets.py --force    # rebuild everything

The sources are the three real .bib files in ../shared/data (never copied into the
repository; the derived sets are git-ignored). Each source is checked against the sha256 in
PROVENANCE.md and split into blocks by bibtexparser (an empty parse stack: raw text only), so
every entry of a derived set is byte-for-byte an entry of a source:

    bio-1k / bio-full       the first 1,000 / all entries of the Zotero export
    mix-1k / -10k / -full   the lab file's @string block, then the entries of all three files
                            interleaved in proportion, so every prefix has the same mix
    biox7-10k               the Zotero export 7 times, keys suffixed -r1..-r6 in copies 2-7
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
GENERATED = HERE / "_generated"
SHARED = HERE.parent.parent / "shared" / "data"

ZOTERO = "gisurgonc-handbook-zotero.bib"
LAB = "eddyrivaslab-master.bib"
RFC = "autinerd-rfcbib-rfc.bib"

SHA256 = {  # of the decompressed files, from PROVENANCE.md
    ZOTERO: "f99b11546fe57108cc2dafbdea53d4c58cb248f779f6284f57dab18b4561aa16",
    LAB: "f73379d5f46927128e6cb956e31db9cca9c44dbebe33ab7f166f35b867c573ad",
    RFC: "f29eff3594654fc51d1ecc46e841319858d72206fe262b704ab8074bb285dc4c",
}

MANIFEST = GENERATED / "manifest.json"
SETS = ("bio-1k", "bio-full", "mix-1k", "mix-10k", "mix-full", "biox7-10k")

_HEAD = re.compile(r"^(\s*@\s*\w+\s*[{(]\s*)([^,\s]*)")


@dataclass(frozen=True)
class Source:
    """One real library split into its @string blocks and its entries (raw text)."""

    name: str
    strings: tuple[str, ...]
    entries: tuple[str, ...]


def read_source(name: str) -> str:
    path = SHARED / f"{name}.gz"
    if not path.is_file():
        sys.exit(f"error: {path} is missing; the benchmark needs ../shared/data (PROVENANCE.md).")
    data = gzip.decompress(path.read_bytes())
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[name]:
        sys.exit(f"error: {path} does not match PROVENANCE.md (sha256 {digest}).")
    return data.decode("utf-8")


def split(name: str) -> Source:
    """Entries and @string blocks of a source, in file order, exactly as written."""
    from bibtexparser import model as bm
    from bibtexparser.entrypoint import parse_string

    library = parse_string(read_source(name), parse_stack=[])
    strings: list[str] = []
    entries: list[str] = []
    for block in library.blocks:
        raw = (block.raw or "").strip()
        if isinstance(block, bm.String):
            strings.append(raw)
        elif isinstance(block, bm.Entry | bm.DuplicateFieldKeyBlock | bm.ParsingFailedBlock):
            entries.append(raw)
    return Source(name, tuple(strings), tuple(entries))


def interleave(sources: list[Source]) -> list[str]:
    """All entries, each source spread evenly: entry k of n sits at (k + 0.5) / n."""
    keyed = [
        ((k + 0.5) / len(src.entries), i, raw)
        for i, src in enumerate(sources)
        for k, raw in enumerate(src.entries)
    ]
    return [raw for _, _, raw in sorted(keyed, key=lambda t: (t[0], t[1]))]


def suffix_key(raw: str, suffix: str) -> str:
    return _HEAD.sub(lambda m: m.group(1) + m.group(2) + suffix, raw, count=1)


def join(blocks: list[str]) -> str:
    return "\n\n".join(blocks) + "\n"


def build_all() -> dict[str, tuple[str, int]]:
    """Text and entry count of every derived set, by name."""
    zotero, lab, rfc = split(ZOTERO), split(LAB), split(RFC)
    mixed = interleave([zotero, lab, rfc])
    strings = list(lab.strings)
    copies = list(zotero.entries)
    for n in range(1, 7):
        copies += [suffix_key(raw, f"-r{n}") for raw in zotero.entries]
    sets = {
        "bio-1k": ([], list(zotero.entries[:1000])),
        "bio-full": ([], list(zotero.entries)),
        "mix-1k": (strings, mixed[:1000]),
        "mix-10k": (strings, mixed[:10000]),
        "mix-full": (strings, mixed),
        "biox7-10k": ([], copies),
    }
    return {name: (join(head + body), len(body)) for name, (head, body) in sets.items()}


def path_of(name: str) -> Path:
    return GENERATED / f"{name}.bib"


def ensure(force: bool = False) -> dict[str, Path]:
    """Build the sets that are missing (or all with ``force``); return their paths."""
    paths = {name: path_of(name) for name in SETS}
    if force or not all(p.is_file() for p in paths.values()) or not MANIFEST.is_file():
        GENERATED.mkdir(parents=True, exist_ok=True)
        manifest = {}
        for name, (text, entries) in build_all().items():
            data = text.encode("utf-8")
            paths[name].write_bytes(data)
            manifest[name] = {
                "entries": entries,
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        MANIFEST.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return paths


def manifest() -> dict[str, dict[str, object]]:
    data: dict[str, dict[str, object]] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--force", action="store_true", help="rebuild even if the sets exist")
    args = ap.parse_args()
    paths = ensure(force=args.force)
    info = manifest()
    print(f"{'set':<10} {'entries':>8} {'MB':>6}  file")
    for name, path in paths.items():
        entries, size = info[name]["entries"], info[name]["bytes"]
        print(f"{name:<10} {entries:>8,} {size / 1e6:>6.2f}  {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
