"""Hand-outs of a timeline: an animated GIF and one offline HTML page with a time slider.

Both are drawn without map tiles: the council outline, the providers as dots by kind (closed
ones as crosses), the date, the headline figures, the illustrative label when the sample is
used, and the data attribution. Micro-providers are sole traders whose address is often their
home, so a hand-out never shows where they really are: :func:`handout_providers` is the one
place that decides what a hand-out may draw (the install's keyed displacement, as
:func:`gapmap.privacy.public_layer`: kind and place only, closures of day centres only).
"""

from __future__ import annotations

import html
import io
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gapmap.labels import ILLUSTRATIVE, band_ages
from gapmap.labels import reach as within
from gapmap.maps import (
    KIND_COLOURS,
    MAP_SOURCES,
    LayerCall,
    legend_below_html,
    outline_layer,
    provider_layers,
    provider_legend,
)
from gapmap.privacy import DISPLACED, PERSONAL_KINDS, SAFE_MODES, displace, shown_kinds, visible_providers
from gapmap.providers import KIND_LABELS
from gapmap.timeline import Timeline

PRIVACY_NOTE = {
    "displaced": "Micro-providers moved a random 250 m–2 km for privacy; no names.",
    "counts": "Micro-providers are not drawn (counts only); no names.",
}


def handout_providers(
    timeline: Timeline, privacy: str = "displaced", *, secret: bytes
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The providers a hand-out may draw, and their columns of ``timeline.active``.

    Only ``kind``, ``end_date`` and the point are kept. ``displaced`` moves micro-providers by
    the install's keyed offsets (:func:`gapmap.privacy.displace`, the same points as the public
    layer); ``counts`` leaves them out (the figures still count them). Any other mode is
    treated as ``displaced``: exact homes never go into a hand-out.
    """
    mode = privacy if privacy in SAFE_MODES else "displaced"
    provs = timeline.providers
    keep = ~provs.kind.isin(PERSONAL_KINDS).to_numpy() if mode == "counts" else np.ones(len(provs), dtype=bool)
    # A public timeline's points are moved already (its ``displaced`` flag keeps them from moving twice).
    extra = [DISPLACED] if DISPLACED in provs else []
    minimal = provs.loc[keep, ["kind", "end_date", *extra, provs.geometry.name]]
    return displace(minimal, secret), keep


def frame_layers(
    timeline: Timeline,
    k: int,
    outline: shapely.Geometry,
    *,
    secret: bytes,
    note: str = "",
    privacy: str = "counts",
) -> tuple[list[LayerCall], str]:
    """A light map of frame ``k`` for the app's slider: its layer calls and its legend.

    The council outline, the providers open on that date and the day centres closed by then
    (rings), by :func:`gapmap.privacy.visible_providers`: under ``counts`` or ``displaced`` the
    public layer; ``exact`` (editors) the records as they are, names included. No area layer,
    so a slider step sends little (see ``bench/bench_timeline.py``).

    Returns
    -------
    tuple
        The layer calls (for ``pages/_live_map.py``) and the legend as HTML for under the map.
    """
    when = timeline.dates[k]
    # The one rule (gapmap.privacy.visible_providers), as on every other map.
    shown, gone = visible_providers(timeline.providers, mode=privacy, secret=secret, as_at=when, kinds=timeline.kinds)
    layers = [
        outline_layer(outline, fill="#f2f2f2", simplify_m=100.0, label="Council"),
        *provider_layers(shown, closed=gone, show_names=privacy == "exact"),
    ]
    kinds = shown_kinds(timeline.kinds, privacy)
    return layers, legend_below_html(f"{when:%B %Y}", provider_legend(kinds, closed=not gone.empty), note)


def _caption(timeline: Timeline, k: int) -> str:
    f = timeline.frame(k)
    kinds = ", ".join(f"{n:,} {KIND_LABELS[kind].lower()}{'s' if n != 1 else ''}" for kind, n in f["providers"].items())
    band = band_ages(timeline.band)
    people = f["people_within_reach"]
    if np.isfinite(people):
        reach = (
            f"{people:,.0f} people aged {band} within {within(timeline.radius_km, timeline.unit)} of one; "
            f"{f['people_beyond_reach']:,.0f} beyond"
        )
    else:
        reach = f"people aged {band}: no projection for this council"
    return f"{kinds}\n{reach} ({f['population_basis']})"


def animation_gif(
    timeline: Timeline,
    outline: shapely.Geometry,
    *,
    title: str,
    illustrative: bool,
    secret: bytes,
    privacy: str = "displaced",
    frame_ms: int = 400,
    width_px: int = 800,
) -> bytes:
    """The replay as an animated GIF.

    Parameters
    ----------
    timeline
        From :func:`gapmap.timeline.build_timeline`.
    outline
        The council's outline (EPSG:27700).
    title
        Heading, e.g. the council's name.
    illustrative
        Print "Illustrative sample — not real providers" on every frame.
    secret
        The install's displacement key (:func:`gapmap.privacy.load_or_create_secret`).
    privacy
        ``displaced`` or ``counts`` (:func:`handout_providers`).
    frame_ms
        How long each frame shows.
    width_px
        Image width.

    Returns
    -------
    bytes
        The GIF file.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image, ImageDraw, ImageFont

    shown, keep = handout_providers(timeline, privacy, secret=secret)
    active = timeline.active[:, keep]
    # Closures are drawn for day centres only (public venues), as in the public layer.
    ended = shown.end_date.where(shown.kind == "day_centre").to_numpy()
    kinds = shown.kind.to_numpy()
    # The still parts (outline, legend, labels, attribution) are drawn once with matplotlib;
    # each frame copies that picture and adds only its dots and text, so a frame costs
    # milliseconds, not a full redraw of the coastline.
    height_in = 7.0
    fig = Figure(figsize=(8, height_in), dpi=width_px / 8)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.14, 0.96, 0.70))
    ax.set_axis_off()
    ax.set_aspect("equal")
    for poly in getattr(outline, "geoms", [outline]):
        x, y = poly.exterior.xy
        ax.fill(x, y, facecolor="#f2f2f2", edgecolor="#666666", linewidth=0.8)
    minx, miny, maxx, maxy = outline.bounds
    pad = 0.03 * max(maxx - minx, maxy - miny)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    for kind in timeline.kinds:
        ax.scatter([], [], s=14 if kind == "micro_enterprise" else 40, c=KIND_COLOURS[kind], label=KIND_LABELS[kind])
    ax.scatter([], [], s=40, marker="x", c="#000000", linewidths=1.2, label="Closed day centre")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    foot = f"{ILLUSTRATIVE}. " if illustrative else ""
    foot += PRIVACY_NOTE["counts" if privacy == "counts" else "displaced"]
    fig.text(0.02, 0.095, foot, fontsize=8, color="#b00020" if illustrative else "#333333", weight="bold")
    fig.text(0.02, 0.02, _wrap(MAP_SOURCES, 130), fontsize=6.5, color="#444444", va="bottom")
    canvas.draw()
    background = Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy())
    h_px = background.height
    pix = ax.transData.transform(np.column_stack([shown.geometry.x.to_numpy(), shown.geometry.y.to_numpy()]))
    px, py = pix[:, 0], h_px - pix[:, 1]
    from matplotlib import font_manager

    face = font_manager.findfont("DejaVu Sans")  # ships with matplotlib: dashes and £ render
    title_font = ImageFont.truetype(face, size=max(12, width_px // 45))
    text_font = ImageFont.truetype(face, size=max(10, width_px // 70))
    colours = {k: KIND_COLOURS[k] for k in timeline.kinds}
    # One palette for every frame (the background's colours plus the marker colours): fast,
    # and the GIF does not flicker between frames.
    swatch = background.copy()
    ImageDraw.Draw(swatch).rectangle((0, 0, 40, 40), fill=KIND_COLOURS["micro_enterprise"])
    for i, colour in enumerate(KIND_COLOURS.values()):
        ImageDraw.Draw(swatch).rectangle((0, 40 * i, 40, 40 * i + 40), fill=colour)
    palette = swatch.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    frames = []
    for k, d in enumerate(timeline.dates):
        img = background.copy()
        draw = ImageDraw.Draw(img)
        on = active[k]
        for j in np.flatnonzero(on):
            r = 3 if kinds[j] == "micro_enterprise" else 5
            draw.ellipse((px[j] - r, py[j] - r, px[j] + r, py[j] + r), fill=colours.get(kinds[j], "#999999"))
        closed = np.flatnonzero(~pd.isna(ended) & (ended <= np.datetime64(d)))
        for j in closed:
            draw.line((px[j] - 4, py[j] - 4, px[j] + 4, py[j] + 4), fill="#000000", width=2)
            draw.line((px[j] - 4, py[j] + 4, px[j] + 4, py[j] - 4), fill="#000000", width=2)
        draw.text((width_px / 2, 0.025 * h_px), f"{title} — {d:%B %Y}", font=title_font, fill="#000000", anchor="ma")
        at = (width_px / 2, 0.085 * h_px)
        draw.multiline_text(at, _caption(timeline, k), font=text_font, fill="#222", anchor="ma", align="center")
        frames.append(img.quantize(palette=palette, dither=Image.Dither.NONE))
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=frame_ms, loop=0)
    return buf.getvalue()


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def slider_html(
    timeline: Timeline,
    outline: shapely.Geometry,
    *,
    title: str,
    illustrative: bool,
    secret: bytes,
    privacy: str = "displaced",
) -> str:
    """The replay as one self-contained HTML page (inline SVG and a few lines of script).

    Opens offline in any browser; no names, and micro-providers moved or left out as
    :func:`handout_providers` decides.
    """
    shown, keep = handout_providers(timeline, privacy, secret=secret)
    minx, miny, maxx, maxy = outline.bounds
    pad = 0.03 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    simple = outline.simplify(50)

    def path(poly: shapely.Polygon) -> str:
        pts = " L".join(f"{x - minx:.0f},{maxy - y:.0f}" for x, y in poly.exterior.coords)
        return f"M{pts} Z"

    d = " ".join(path(p) for p in getattr(simple, "geoms", [simple]))
    active = timeline.active[:, keep]
    dots = []
    for j, (x, y, kind) in enumerate(zip(shown.geometry.x, shown.geometry.y, shown.kind, strict=True)):
        frames_on = "".join("1" if a else "0" for a in active[:, j])
        r = 300 if kind == "micro_enterprise" else 700
        colour = KIND_COLOURS[kind]
        dots.append(f'<circle cx="{x - minx:.0f}" cy="{maxy - y:.0f}" r="{r}" fill="{colour}" data-on="{frames_on}"/>')
    captions = [html.escape(_caption(timeline, k)).replace("\n", "<br>") for k in range(len(timeline.dates))]
    labels = [f"{dt:%B %Y}" for dt in timeline.dates]
    legend = " ".join(
        f'<span style="color:{KIND_COLOURS[k]}">●</span> {html.escape(KIND_LABELS[k])}' for k in timeline.kinds
    )
    warn = f'<p class="warn">{ILLUSTRATIVE}</p>' if illustrative else ""
    privacy_note = PRIVACY_NOTE["counts" if privacy == "counts" else "displaced"]
    n = len(timeline.dates)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:1em auto;max-width:900px;color:#222}}
h1{{font-size:1.3em;margin:.2em 0}} .warn{{color:#b00020;font-weight:bold}}
svg{{width:100%;height:auto;background:#fff}} input[type=range]{{width:100%}}
#cap{{min-height:3em}} small{{color:#555}}
</style></head><body>
<h1>{html.escape(title)} — <span id="when">{html.escape(labels[-1])}</span></h1>
{warn}
<input id="t" type="range" min="0" max="{n - 1}" value="{n - 1}" step="1" aria-label="Date">
<p id="cap"></p>
<p>{legend}</p>
<svg viewBox="0 0 {maxx - minx:.0f} {maxy - miny:.0f}" xmlns="http://www.w3.org/2000/svg">
<path d="{d}" fill="#f2f2f2" stroke="#666" stroke-width="150"/>
{"".join(dots)}
</svg>
<p><small>{html.escape(privacy_note)} Band population: Census 2021; after today, scaled by ONS projected growth
where available.<br>{html.escape(MAP_SOURCES)}</small></p>
<script>
const labels={json.dumps(labels)}, caps={json.dumps(captions)};
const dots=[...document.querySelectorAll("circle[data-on]")], t=document.getElementById("t");
function show(k){{document.getElementById("when").textContent=labels[k];
document.getElementById("cap").innerHTML=caps[k];
for(const c of dots){{c.style.display=c.dataset.on[k]==="1"?"":"none";}}}}
t.addEventListener("input",()=>show(+t.value)); show({n - 1});
</script></body></html>
"""
