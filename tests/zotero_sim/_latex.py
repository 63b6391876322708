"""BibTeX.js's two LaTeX tables: ``mappingTable`` (export) and ``reversemappingTable`` (import).

Import (``unescapeBibTeX``) walks ``REVERSE`` *in order* and replaces every occurrence of each
form, then of the same form with its braces removed (``{\\o}`` -> ``\\o``). The order and the
brace-stripping are the source of the quirks a cytobib export meets: ``\\o`` comes before the
Greek section, so ``$\\omega$`` becomes ``ømega``; ``\\th`` gives ``þeta``; ``\\l`` (from
``{\\l}``, after the Greek section) gives ``łeq`` for ``$\\leq$`` and ``łe`` for ``$\\le$``
while ``$\\lambda$`` still decodes; and a bare ``TEL`` anywhere becomes ``℡``.

Transcribed from zotero/translators ``BibTeX.js`` (the accented-letter rows are generated from
Unicode decompositions for exactly the code points the table lists, in its order). One change
against the stored 2019 source, made to agree with the 2026 recordings in
``../shared/fixtures/zotero-translators/4-text``: ``{\\l }``/``{\\L }`` are ``{\\l}``/``{\\L}``
(the recorded ``łeq`` needs the space-less form). ``EXPORT`` is ``mappingTable``, used only when
the export charset is not UTF-8.
"""

from __future__ import annotations

import unicodedata

# Combining mark -> LaTeX accent command (letter commands take a space before the base).
_ACCENTS = {
    "\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0308": '"',
    "\u0304": "=", "\u0307": ".", "\u030a": "r", "\u0327": "c", "\u0306": "u", "\u0328": "k",
    "\u030c": "v", "\u030b": "H", "\u0323": "d", "\u0331": "b",
}  # fmt: skip

# The accented letters of both tables, in table order (U+0141/U+0142 handled apart).
_ACCENTED = (
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿ"
    "ĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŁłŃńŅņŇňŌōŎŏŐőŔŕŖŗŘř"
    "ŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽž"
    "ǍǎǏǐǑǒǓǔǦǧǨǩǪǫǰǴǵ"
    "ḂḃḄḅḆḇḊḋḌḍḎḏḐḑḞḟḠḡḢḣḤḥḦḧḨḩḰḱḲḳḴḵḶḷḺḻḾḿṀṁṂṃṄṅṆṇṈṉṔṕṖṗṘṙṚṛṞṟṠṡṢṣṪṫṬṭṮṯṼṽṾṿ"
    "ẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẠạẸẹẼẽỊịỌọỤụỲỳỴỵỸỹ"
)


def _accent_form(ch: str) -> str:
    if ch == "Ł":
        return "{\\L}"
    if ch == "ł":
        return "{\\l}"
    if ch == "ī":
        return "{\\=\\i}"
    base, mark = unicodedata.normalize("NFD", ch)[:2]
    cmd = _ACCENTS[mark]
    return "{\\" + cmd + (" " if cmd.isalpha() else "") + base + "}"


_LATIN1_SYMBOLS = [
    ("\u00a1", "{\\textexclamdown}"), ("\u00a2", "{\\textcent}"), ("\u00a3", "{\\textsterling}"),
    ("\u00a5", "{\\textyen}"), ("\u00a6", "{\\textbrokenbar}"), ("\u00a7", "{\\textsection}"),
    ("\u00a8", "{\\textasciidieresis}"), ("\u00a9", "{\\textcopyright}"),
    ("\u00aa", "{\\textordfeminine}"), ("\u00ab", "{\\guillemotleft}"),
    ("\u00ac", "{\\textlnot}"), ("\u00ae", "{\\textregistered}"),
    ("\u00af", "{\\textasciimacron}"), ("\u00b0", "{\\textdegree}"), ("\u00b1", "{\\textpm}"),
    ("\u00b2", "{\\texttwosuperior}"), ("\u00b3", "{\\textthreesuperior}"),
    ("\u00b4", "{\\textasciiacute}"), ("\u00b5", "{\\textmu}"), ("\u00b6", "{\\textparagraph}"),
    ("\u00b7", "{\\textperiodcentered}"), ("\u00b8", "{\\c\\ }"),
    ("\u00b9", "{\\textonesuperior}"), ("\u00ba", "{\\textordmasculine}"),
    ("\u00bb", "{\\guillemotright}"), ("\u00bc", "{\\textonequarter}"),
    ("\u00bd", "{\\textonehalf}"), ("\u00be", "{\\textthreequarters}"),
    ("\u00bf", "{\\textquestiondown}"), ("\u00c6", "{\\AE}"), ("\u00d0", "{\\DH}"),
    ("\u00d7", "{\\texttimes}"), ("\u00d8", "{\\O}"), ("\u00de", "{\\TH}"), ("\u00df", "{\\ss}"),
    ("\u00e6", "{\\ae}"), ("\u00f0", "{\\dh}"), ("\u00f7", "{\\textdiv}"), ("\u00f8", "{\\o}"),
    ("\u00fe", "{\\th}"), ("\u0131", "{\\i}"),
]  # fmt: skip

_GREEK = [
    ("\u0393", "Gamma"), ("\u0394", "Delta"), ("\u0398", "Theta"), ("\u039b", "Lambda"),
    ("\u039e", "Xi"), ("\u03a0", "Pi"), ("\u03a3", "Sigma"), ("\u03a6", "Phi"), ("\u03a8", "Psi"),
    ("\u03a9", "Omega"), ("\u03b1", "alpha"), ("\u03b2", "beta"), ("\u03b3", "gamma"),
    ("\u03b4", "delta"), ("\u03b5", "varepsilon"), ("\u03b6", "zeta"), ("\u03b7", "eta"),
    ("\u03b8", "theta"), ("\u03b9", "iota"), ("\u03ba", "kappa"), ("\u03bb", "lambda"),
    ("\u03bc", "mu"), ("\u03bd", "nu"), ("\u03be", "xi"), ("\u03c0", "pi"), ("\u03c1", "rho"),
    ("\u03c2", "varsigma"), ("\u03c3", "sigma"), ("\u03c4", "tau"), ("\u03c5", "upsilon"),
    ("\u03c6", "varphi"), ("\u03c7", "chi"), ("\u03c8", "psi"), ("\u03c9", "omega"),
    ("\u03d1", "vartheta"), ("\u03d2", "Upsilon"), ("\u03d5", "phi"), ("\u03d6", "varpi"),
    ("\u03f1", "varrho"), ("\u03f5", "epsilon"),
]  # fmt: skip

_SUPER = list(zip("⁰⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ", "0456789+-=()n", strict=True))
_SUB = list(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎", "0123456789+-=()", strict=True))


def _reverse_table() -> list[tuple[str, str]]:
    table: list[tuple[str, str]] = [("\\url", ""), ("\\href", "")]
    table += [(tex, ch) for ch, tex in _LATIN1_SYMBOLS]
    table += [("{\\NG}", "\u014a"), ("{\\ng}", "\u014b"), ("{\\OE}", "\u0152"),
              ("{\\oe}", "\u0153"), ("{\\textasciicircum}", "\u02c6"),
              ("{\\textacutedbl}", "\u02dd")]  # fmt: skip
    table += [("$\\" + name + "$", ch) for ch, name in _GREEK]
    table += [
        ("{\\textendash}", "\u2013"), ("{\\textemdash}", "\u2014"), ("---", "\u2014"),
        ("--", "\u2013"), ("{\\textbardbl}", "\u2016"), ("{\\textunderscore}", "\u2017"),
        ("{\\textquoteleft}", "\u2018"), ("{\\textquoteright}", "\u2019"),
        ("{\\quotesinglbase}", "\u201a"), ("{\\textquotedblleft}", "\u201c"),
        ("{\\textquotedblright}", "\u201d"), ("{\\quotedblbase}", "\u201e"),
        ("{\\textdagger}", "\u2020"), ("{\\textdaggerdbl}", "\u2021"),
        ("{\\textbullet}", "\u2022"), ("{\\textellipsis}", "\u2026"),
        ("{\\textperthousand}", "\u2030"), ("'''", "\u2034"), ("''", "\u201d"),
        ("``", "\u201c"), ("```", "\u2037"), ("{\\guilsinglleft}", "\u2039"),
        ("{\\guilsinglright}", "\u203a"), ("!!", "\u203c"),
        ("{\\textfractionsolidus}", "\u2044"), ("?!", "\u2048"), ("!?", "\u2049"),
    ]  # fmt: skip
    table += [("$^{" + t + "}$", c) for c, t in _SUPER]
    table += [("$_{" + t + "}$", c) for c, t in _SUB]
    table += [
        ("{\\texteuro}", "\u20ac"), ("{\\textcelsius}", "\u2103"), ("{\\textnumero}", "\u2116"),
        ("{\\textcircledP}", "\u2117"), ("{\\textservicemark}", "\u2120"), ("{TEL}", "\u2121"),
        ("{\\texttrademark}", "\u2122"), ("{\\textohm}", "\u2126"),
        ("{\\textestimated}", "\u212e"), ("{\\textleftarrow}", "\u2190"),
        ("{\\textuparrow}", "\u2191"), ("{\\textrightarrow}", "\u2192"),
        ("{\\textdownarrow}", "\u2193"), ("$\\infty$", "\u221e"), ("$\\#$", "\u22d5"),
        ("{\\textlangle}", "\u2329"), ("{\\textrangle}", "\u232a"),
        ("{\\textvisiblespace}", "\u2423"), ("{\\textopenbullet}", "\u25e6"),
        ("$\\%<$", "\u2701"),
    ]  # fmt: skip
    for ch in _ACCENTED:
        table.append((_accent_form(ch), ch))
        if ch == "ī":  # the table lists both {\=i} and {\=\i} for ī, {\=i} first
            table.insert(len(table) - 1, ("{\\=i}", ch))
    table += [("{\\~}", "\u223c"), ("~", "\u00a0")]
    return table


REVERSE: list[tuple[str, str]] = _reverse_table()


def _export_table() -> dict[str, str]:
    table: dict[str, str] = {"\u00a0": "~", "\u00ad": "-"}
    table.update(dict(_LATIN1_SYMBOLS))
    table.update({
        "\u0132": "IJ", "\u0133": "ij", "\u0138": "k", "\u0149": "'n", "\u014a": "{\\NG}",
        "\u014b": "{\\ng}", "\u0152": "{\\OE}", "\u0153": "{\\oe}", "\u017f": "s",
        "\u02b9": "'", "\u02bb": "'", "\u02bc": "'", "\u02bd": "'",
        "\u02c6": "{\\textasciicircum}", "\u02c8": "'", "\u02c9": "-", "\u02cc": ",",
        "\u02d0": ":", "\u02da": "o", "\u02dc": "\\~{}", "\u02dd": "{\\textacutedbl}",
        "\u0374": "'", "\u0375": ",", "\u037e": ";",
    })  # fmt: skip
    table.update({ch: "$\\" + name + "$" for ch, name in _GREEK})
    table.update({
        "\u2000": " ", "\u2001": "  ", "\u2002": " ", "\u2003": "  ", "\u2004": " ",
        "\u2005": " ", "\u2006": " ", "\u2007": " ", "\u2008": " ", "\u2009": " ",
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "{\\textendash}",
        "\u2014": "{\\textemdash}", "\u2015": "{\\textemdash}", "\u2016": "{\\textbardbl}",
        "\u2017": "{\\textunderscore}", "\u2018": "{\\textquoteleft}",
        "\u2019": "{\\textquoteright}", "\u201a": "{\\quotesinglbase}", "\u201b": "'",
        "\u201c": "{\\textquotedblleft}", "\u201d": "{\\textquotedblright}",
        "\u201e": "{\\quotedblbase}", "\u201f": "{\\quotedblbase}", "\u2020": "{\\textdagger}",
        "\u2021": "{\\textdaggerdbl}", "\u2022": "{\\textbullet}", "\u2023": ">",
        "\u2024": ".", "\u2025": "..", "\u2026": "{\\textellipsis}", "\u2027": "-",
        "\u202f": " ", "\u2030": "{\\textperthousand}", "\u2032": "'", "\u2033": "'",
        "\u2034": "'''", "\u2035": "`", "\u2036": "``", "\u2037": "```",
        "\u2039": "{\\guilsinglleft}", "\u203a": "{\\guilsinglright}", "\u203c": "!!",
        "\u203e": "-", "\u2043": "-", "\u2044": "{\\textfractionsolidus}", "\u2048": "?!",
        "\u2049": "!?", "\u204a": "7",
    })  # fmt: skip
    table.update({c: "$^{" + t + "}$" for c, t in _SUPER})
    table.update({c: "$_{" + t + "}$" for c, t in _SUB})
    table.update({
        "\u20ac": "{\\texteuro}", "\u2100": "a/c", "\u2101": "a/s", "\u2103": "{\\textcelsius}",
        "\u2105": "c/o", "\u2106": "c/u", "\u2109": "F", "\u2113": "l",
        "\u2116": "{\\textnumero}", "\u2117": "{\\textcircledP}",
        "\u2120": "{\\textservicemark}", "\u2121": "TEL", "\u2122": "{\\texttrademark}",
        "\u2126": "{\\textohm}", "\u212a": "K", "\u212b": "A", "\u212e": "{\\textestimated}",
        "\u2153": " 1/3", "\u2154": " 2/3", "\u2155": " 1/5", "\u2156": " 2/5",
        "\u2157": " 3/5", "\u2158": " 4/5", "\u2159": " 1/6", "\u215a": " 5/6",
        "\u215b": " 1/8", "\u215c": " 3/8", "\u215d": " 5/8", "\u215e": " 7/8", "\u215f": " 1/",
    })  # fmt: skip
    roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "L", "C",
             "D", "M"]  # fmt: skip
    for i, r in enumerate(roman):
        table[chr(0x2160 + i)] = r
        table[chr(0x2170 + i)] = r.lower()
    table.update({
        "\u2190": "{\\textleftarrow}", "\u2191": "{\\textuparrow}",
        "\u2192": "{\\textrightarrow}", "\u2193": "{\\textdownarrow}", "\u2194": "<->",
        "\u21d0": "<=", "\u21d2": "=>", "\u21d4": "<=>", "\u2212": "-", "\u2215": "/",
        "\u2216": "\\", "\u2217": "*", "\u2218": "o", "\u2219": ".", "\u221e": "$\\infty$",
        "\u2223": "|", "\u2225": "||", "\u2236": ":", "\u223c": "\\~{}", "\u2260": "/=",
        "\u2261": "=", "\u2264": "<=", "\u2265": ">=", "\u226a": "<<", "\u226b": ">>",
        "\u2295": "(+)", "\u2296": "(-)", "\u2297": "(x)", "\u2298": "(/)", "\u22a2": "|-",
        "\u22a3": "-|", "\u22a6": "|-", "\u22a7": "|=", "\u22a8": "|=", "\u22a9": "||-",
        "\u22c5": ".", "\u22c6": "*", "\u22d5": "$\\#$", "\u22d8": "<<<", "\u22d9": ">>>",
        "\u2329": "{\\textlangle}", "\u232a": "{\\textrangle}",
    })  # fmt: skip
    pictures = [
        "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF",
        "CR", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM",
        "SUB", "ESC", "FS", "GS", "RS", "US", "SP", "DEL",
    ]  # fmt: skip
    for i, name in enumerate(pictures):
        table[chr(0x2400 + i)] = name
    table.update({"\u2423": "{\\textvisiblespace}", "\u2424": "NL", "\u2425": "///",
                  "\u2426": "?"})  # fmt: skip
    for i in range(20):
        table[chr(0x2460 + i)] = f"({i + 1})"
        table[chr(0x2474 + i)] = f"({i + 1})"
        table[chr(0x2488 + i)] = f"{i + 1}."
    for i in range(26):
        table[chr(0x249C + i)] = f"({chr(97 + i)})"
        table[chr(0x24B6 + i)] = f"({chr(65 + i)})"
        table[chr(0x24D0 + i)] = f"({chr(97 + i)})"
    table["\u24ea"] = "(0)"
    box = "-=||-=||-=||" + "+" * 64 + "-=||=|" + "+" * 31 + "/\\X"
    for i, c in enumerate(box):
        table[chr(0x2500 + i)] = c
    table.update({"\u257c": "-", "\u257d": "|", "\u257e": "-", "\u257f": "|"})
    table.update({
        "\u25cb": "o", "\u25e6": "{\\textopenbullet}", "\u2605": "*", "\u2606": "*",
        "\u2612": "X", "\u2613": "X", "\u2639": ":-(", "\u263a": ":-)", "\u263b": "(-:",
        "\u266d": "b", "\u266f": "$\\#$", "\u2701": "$\\%<$", "\u2702": "$\\%<$",
        "\u2703": "$\\%<$", "\u2704": "$\\%<$", "\u270c": "V", "\u2713": "v", "\u2714": "V",
        "\u2715": "x", "\u2716": "x", "\u2717": "X", "\u2718": "X", "\u2721": "*",
    })  # fmt: skip
    for cp in range(0x2719, 0x2721):
        table[chr(cp)] = "+"
    for cp in range(0x2722, 0x2728):
        table[chr(cp)] = "+"
    for cp in range(0x2729, 0x274C):
        table[chr(cp)] = "*"
    table.update({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi",
                  "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"})  # fmt: skip
    for ch in _ACCENTED:
        form = _accent_form(ch)
        table[ch] = form.replace("{\\l}", "{\\l }").replace("{\\L}", "{\\L }")
    return table


EXPORT: dict[str, str] = _export_table()
