"""The day's ready GPU pods per policy, as an SVG written by hand (no plotting library in the dependencies)."""

from __future__ import annotations

from html import escape

from bench.scale.simulate import Outcome

__all__ = ["svg"]

WIDTH, HEIGHT, LEFT, TOP, BOTTOM = 760, 300, 50, 30, 40
COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a")


def svg(outcomes: list[Outcome], *, burst_at_s: float, day_s: float = 86400.0) -> str:
    """One step line per policy (ready GPU pods over the day), the burst marked, a legend with the results."""
    peak = max(max(gpu for _, gpu, _ in o.timeline) for o in outcomes) or 1
    plot_w, plot_h = WIDTH - LEFT - 20, HEIGHT - TOP - BOTTOM

    def x(seconds: float) -> float:
        return LEFT + plot_w * seconds / day_s

    def y(pods: float) -> float:
        return TOP + plot_h * (1 - pods / (peak + 0.5))

    height = HEIGHT + 20 * len(outcomes)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="11">',
        f'<text x="{LEFT}" y="18" font-size="13">Ready GPU pods over the day (burst of badges at {burst_at_s / 3600:g}:00)</text>',
        f'<line x1="{x(burst_at_s):.1f}" y1="{TOP}" x2="{x(burst_at_s):.1f}" y2="{TOP + plot_h}" stroke="#999" stroke-dasharray="4 3"/>',
    ]
    for hour in range(0, 25, 3):
        parts.append(f'<text x="{x(hour * 3600):.1f}" y="{TOP + plot_h + 15}" text-anchor="middle">{hour:02d}:00</text>')
    for pods in range(peak + 1):
        parts.append(f'<text x="{LEFT - 8}" y="{y(pods) + 4:.1f}" text-anchor="end">{pods}</text>')
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>')
    for index, (outcome, colour) in enumerate(zip(outcomes, COLOURS, strict=False)):
        offset = (index - 1.5) * 1.5  # lines that coincide stay visible side by side
        points = " ".join(f"{x(t):.1f},{y(gpu) + offset:.1f}" for t, gpu, _ in _steps(outcome.timeline))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        s = outcome.summary()
        legend = f"{outcome.policy}: p50 {s['p50_s']} s, p95 {s['p95_s']} s, 503 {s['refused_503']}, GPU-hours {s['gpu_hours']}"
        line_y = HEIGHT + 20 * index
        parts.append(f'<line x1="{LEFT}" y1="{line_y - 4}" x2="{LEFT + 20}" y2="{line_y - 4}" stroke="{colour}" stroke-width="3"/>')
        parts.append(f'<text x="{LEFT + 28}" y="{line_y}">{escape(legend)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _steps(timeline: list[tuple[float, int, int]]) -> list[tuple[float, int, int]]:
    """The samples with a corner before each change, so the line steps instead of sloping."""
    out: list[tuple[float, int, int]] = []
    for sample in timeline:
        if out and out[-1][1] != sample[1]:
            out.append((sample[0], out[-1][1], out[-1][2]))
        out.append(sample)
    return out
