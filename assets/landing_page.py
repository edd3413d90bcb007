"""``index.html``: the release's landing page, one static file that works from ``file://`` with no server.

What the data is and its licence, the files with sizes and checksums, the data dictionary from the registry,
and three charts drawn at build time as inline SVG (no script, no network): funding by year and funder, by
fylke (today's borders) and by instrument.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from pipelines.metadata import Table
from pipelines.storage import file_digest

COLOURS = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6")
LICENCE_URL = "https://data.norge.no/nlod/en/2.0"
CHART_COLUMNS = ("amount_nok", "award_year", "funder", "fylke_code_current", "instrument")  # all the charts read


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _nok(value: float) -> str:
    return f"{value / 1e6:,.1f} MNOK".replace(",", " ")


def bar_chart(title: str, bars: list[tuple[str, float]], width: int = 640) -> str:
    """Horizontal bars, largest first as given; labels and values written beside them."""
    row, label_w = 22, 170
    top = max((v for _, v in bars), default=0) or 1
    height = row * len(bars) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{_e(title)}</title>']
    for i, (label, value) in enumerate(bars):
        y = 20 + i * row
        w = max(1, int((width - label_w - 110) * value / top))
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">{_e(label)}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{w}" height="{row - 6}" fill="{COLOURS[0]}"/>'
                     f'<text x="{label_w + w + 4}" y="{y + 14}" font-size="11">{_e(_nok(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_year_chart(title: str, table: pd.DataFrame, width: int = 640) -> str:
    """Columns per year, stacked by funder (``table``: index years, columns funders, values NOK)."""
    height, left, bottom = 260, 60, 40
    years = list(table.index)
    top = float(table.sum(axis=1).max() or 1)
    step = (width - left - 10) / max(1, len(years))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height + 30}" '
             f'viewBox="0 0 {width} {height + 30}"><title>{_e(title)}</title>']
    for i, year in enumerate(years):
        x, base = left + i * step, height - bottom
        for j, funder in enumerate(table.columns):
            h = (height - bottom - 10) * float(table.at[year, funder]) / top
            if h > 0:
                parts.append(f'<rect x="{x + 2:.1f}" y="{base - h:.1f}" width="{step - 4:.1f}" height="{h:.1f}" '
                             f'fill="{COLOURS[j % len(COLOURS)]}"><title>{_e(year)} {_e(funder)}: '
                             f'{_e(_nok(table.at[year, funder]))}</title></rect>')
                base -= h
        parts.append(f'<text x="{x + step / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                     f'font-size="10">{_e(year)}</text>')
    parts.append(f'<text x="4" y="14" font-size="11">{_e(_nok(top))}</text>')
    for j, funder in enumerate(table.columns):
        parts.append(f'<rect x="{left + j * 170}" y="{height + 8}" width="12" height="12" '
                     f'fill="{COLOURS[j % len(COLOURS)]}"/><text x="{left + j * 170 + 16}" y="{height + 18}" '
                     f'font-size="11">{_e(funder)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def charts(awards: pd.DataFrame) -> list[tuple[str, str]]:
    money = awards.loc[awards["amount_nok"].notna()]
    by_year = money.pivot_table(index="award_year", columns="funder", values="amount_nok", aggfunc="sum",
                                fill_value=0).sort_index()
    by_fylke = money.groupby(money["fylke_code_current"].fillna("unknown"))["amount_nok"].sum()
    by_instrument = money.groupby(money["instrument"].fillna("unknown"))["amount_nok"].sum()
    return [
        ("Funding by year and funder (NOK)", stacked_year_chart("Funding by year and funder", by_year)),
        ("Funding by fylke, today's borders (NOK)",
         bar_chart("Funding by fylke", sorted(by_fylke.items(), key=lambda kv: -kv[1]))),
        ("Funding by instrument (NOK)",
         bar_chart("Funding by instrument", sorted(by_instrument.items(), key=lambda kv: -kv[1]))),
    ]


def page(release_dir: Path, version: str, tables: list[Table], awards: pd.DataFrame) -> str:
    files = sorted(p for p in release_dir.rglob("*") if p.is_file() and p.name not in ("index.html", "SHA256SUMS"))
    rows = "".join(f"<tr><td><a href=\"{_e(p.relative_to(release_dir).as_posix())}\">"
                   f"{_e(p.relative_to(release_dir).as_posix())}</a></td><td>{p.stat().st_size:,}</td>"
                   f"<td><code>{file_digest(p)}</code></td></tr>" for p in files)
    dictionary = "".join(
        f"<h3 id=\"{_e(t.name)}\">{_e(t.name)}: {_e(t.title)}</h3><p>{_e(t.description)} <em>{_e(t.grain)}</em></p>"
        "<table><tr><th>column</th><th>type</th><th>description</th></tr>"
        + "".join(f"<tr><td><code>{_e(f.name)}</code></td><td>{_e(f.type)}</td><td>{_e(f.description)}</td></tr>"
                  for f in t.fields) + "</table>" for t in tables)
    figures = "".join(f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>" for caption, svg in charts(awards))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>innofund release {_e(version)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;font-size:13px;text-align:left}}code{{font-size:11px}}</style></head>
<body>
<h1>innofund: Norwegian public innovation funding — release {_e(version)}</h1>
<p>Awards, projects, recipients and innovation partnerships of Norwegian public innovation funders
(Innovasjon Norge, Forskningsrådet, the EU programmes), collected, checked and published by innofund.</p>
<p lang="nb">Tildelinger, prosjekter, mottakere og innovasjonspartnerskap fra norske offentlige
virkemiddelaktører, samlet, kontrollert og publisert av innofund.</p>
<p>Licence: <a href="{LICENCE_URL}">Norwegian Licence for Open Government Data (NLOD) 2.0</a>.
Metadata: <a href="datapackage.json">datapackage.json</a>, <a href="catalog.ttl">catalog.ttl</a> (DCAT-AP-NO),
<a href="index.json">index.json</a>, <a href="CHANGELOG.md">CHANGELOG.md</a>, <a href="SHA256SUMS">SHA256SUMS</a>.
Natural persons appear only under a pseudonym.</p>
<h2>Charts</h2>{figures}
<h2>Files</h2><table><tr><th>file</th><th>bytes</th><th>sha256</th></tr>{rows}</table>
<h2>Data dictionary</h2>{dictionary}
</body></html>
"""
