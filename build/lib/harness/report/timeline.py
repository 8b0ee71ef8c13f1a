"""An SVG timeline of a failover scenario: every operation by kind and outcome, the fault window shaded."""

from __future__ import annotations

from html import escape

WIDTH, LANE, LEFT, TOP = 900, 26, 70, 24
COLOURS = {"ok": "#1e7b34", "fail": "#b42318", "unknown": "#d97706"}


def timeline_svg(scenario: dict) -> str:
    operations = scenario["timeline"]
    if not operations:
        return "<p>no operations were recorded</p>"
    kinds = [kind for kind in ("probe", "write", "read", "upload", "mail") if any(op["kind"] == kind for op in operations)]
    start = min(op["start"] for op in operations)
    end = max(op["start"] + op["seconds"] for op in operations)
    span = max(end - start, 1e-3)
    height = TOP + LANE * len(kinds) + 30

    def x(seconds: float) -> float:
        return LEFT + (seconds - start) / span * (WIDTH - LEFT - 10)

    fault_end = scenario["healed_at"] - scenario["injected_at"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="timeline of {escape(scenario["name"])}">',
        f'<rect x="{x(0):.1f}" y="{TOP - 6}" width="{x(fault_end) - x(0):.1f}" height="{LANE * len(kinds) + 6}" '
        'fill="#fde68a" opacity="0.6"><title>fault injected until healed</title></rect>',
    ]
    for lane, kind in enumerate(kinds):
        y = TOP + lane * LANE
        parts.append(f'<text x="4" y="{y + 14}" font-size="12">{kind}</text>')
        for op in (op for op in operations if op["kind"] == kind):
            left, right = x(op["start"]), x(op["start"] + op["seconds"])
            title = f'{op.get("user", "")} {op["outcome"]} {op["seconds"] * 1000:.0f} ms route={op["route"]} {op["detail"]}'
            parts.append(
                f'<rect x="{left:.1f}" y="{y}" width="{max(right - left, 1.2):.1f}" height="{LANE - 8}" '
                f'fill="{COLOURS.get(op["outcome"], "#6b7280")}"><title>{escape(title)}</title></rect>'
            )
    axis_y = TOP + LANE * len(kinds) + 14
    for tick in range(int(start), int(end) + 1, max(1, int(span // 10) or 1)):
        parts.append(f'<text x="{x(tick):.1f}" y="{axis_y}" font-size="10" text-anchor="middle">{tick:+d} s</text>')
    parts.append("</svg>")
    return "".join(parts)
