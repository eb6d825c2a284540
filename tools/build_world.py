"""Build service/static/world.json, the live page's world outline, from Natural Earth 110m.

Input: countries-110m.json of the npm package world-atlas 2.0.2 (TopoJSON of Natural Earth's
public-domain 1:110m admin-0 countries; ISC licence for the packaging):

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python tools/build_world.py package/countries-110m.json service/static/world.json

Output: {"source": ..., "viewBox": "0 0 360 180", "countries": [{"name", "d"}]}, each `d` an
SVG path in plate carree: x = lon + 180, y = 90 - lat, so a marker for (lat, lon) is a circle
at (lon + 180, 90 - lat). Coordinates are rounded to 0.1 degree (110m data is coarser).
"""

from __future__ import annotations

import json
import sys
from typing import Any


def decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Absolute (lon, lat) points of every arc: TopoJSON quantises and delta-encodes them."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """One closed ring from arc indexes; ~i means arc i reversed; shared end points once."""
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def split_at_antimeridian(r: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """A ring that jumps from +180 to -180 (Fiji, Chukotka) drawn as pieces, not a band."""
    pieces: list[list[tuple[float, float]]] = [[]]
    for point in r:
        if pieces[-1] and abs(point[0] - pieces[-1][-1][0]) > 180:
            pieces.append([])
        pieces[-1].append(point)
    return pieces


def path(rings: list[list[tuple[float, float]]]) -> str:
    parts = []
    for r in rings:
        for piece in split_at_antimeridian(r):
            xy: list[str] = []
            for lon, lat in piece:
                p = f"{lon + 180:.1f} {90 - lat:.1f}"
                if not xy or xy[-1] != p:
                    xy.append(p)
            if len(xy) >= 3:
                parts.append("M" + "L".join(xy) + "Z")
    return "".join(parts)


def countries(topo: dict[str, Any]) -> list[dict[str, str]]:
    arcs = decode_arcs(topo)
    out = []
    for geom in topo["objects"]["countries"]["geometries"]:
        if geom["type"] == "Polygon":
            polygons = [geom["arcs"]]
        elif geom["type"] == "MultiPolygon":
            polygons = geom["arcs"]
        else:
            continue
        rings = [ring(r, arcs) for poly in polygons for r in poly]
        out.append({"name": geom.get("properties", {}).get("name", ""), "d": path(rings)})
    return out


def main(src: str, dst: str) -> None:
    with open(src, encoding="utf-8") as fh:
        topo = json.load(fh)
    doc = {
        "source": "Natural Earth 1:110m admin-0 countries (public domain), via world-atlas 2.0.2",
        "viewBox": "0 0 360 180",
        "countries": countries(topo),
    }
    with open(dst, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, separators=(",", ":"), ensure_ascii=False)
        fh.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
