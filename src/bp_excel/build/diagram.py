"""The picture of the 2-2-2 network on the start-here sheet, drawn by matplotlib."""
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

NODES = {  # name: (x, y, text)
    "i1": (0, 2, "i1"), "i2": (0, 0, "i2"),
    "h1": (2, 2, "h1 | a_h1"), "h2": (2, 0, "h2 | a_h2"),
    "o1": (4, 2, "o1 | a_o1"), "o2": (4, 0, "o2 | a_o2"),
}
EDGES = [  # (weight, source, target, where along the edge its label sits)
    ("w1", "i1", "h1", 0.5), ("w2", "i2", "h1", 0.28), ("w3", "i1", "h2", 0.28), ("w4", "i2", "h2", 0.5),
    ("w5", "h1", "o1", 0.5), ("w6", "h2", "o1", 0.28), ("w7", "h1", "o2", 0.28), ("w8", "h2", "o2", 0.5),
]
LAYER_COLOURS = {"i": "#dae8fc", "h": "#d5e8d4", "o": "#ffe6cc"}


def _arrow(ax, start, end, shrink_end=30):
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": "0.35", "lw": 1.2,
                                                      "shrinkA": 24, "shrinkB": shrink_end})


def png():
    """The network's picture as PNG bytes (no software version in the metadata, so a rebuild is identical)."""
    fig, ax = plt.subplots(figsize=(7.2, 3.6))
    ax.set(xlim=(-0.7, 6.3), ylim=(-0.9, 3.1), aspect="equal")
    ax.axis("off")
    for weight, source, target, where in EDGES:
        (x0, y0, _), (x1, y1, _) = NODES[source], NODES[target]
        _arrow(ax, (x0, y0), (x1, y1))
        x, y = x0 + where * (x1 - x0), y0 + where * (y1 - y0)
        ax.text(x, y + 0.12, weight, ha="center", va="bottom", fontsize=11, color="#1f4e79", weight="bold")
    for name, (x, y, text) in NODES.items():
        ax.add_patch(plt.Circle((x, y), 0.45, facecolor=LAYER_COLOURS[name[0]], edgecolor="0.3"))
        ax.text(x, y, text.replace(" | ", "\n"), ha="center", va="center", fontsize=10)
    for k, y in ((1, 2), (2, 0)):
        _arrow(ax, (4, y), (5.65, y), shrink_end=2)
        ax.text(5.75, y, f"E{k} = ½(t{k} − a_o{k})²", ha="left", va="center", fontsize=10)
    for bias, x in (("b1", 2), ("b2", 4)):
        ax.text(x, 2.85, f"+ {bias}", ha="center", va="center", fontsize=10, color="0.3")
    ax.text(-0.6, -0.8, "inputs", fontsize=9, color="0.4")
    ax.text(1.6, -0.8, "hidden layer", fontsize=9, color="0.4")
    ax.text(3.6, -0.8, "output layer", fontsize=9, color="0.4")
    ax.text(5.5, -0.8, "E_total = E1 + E2", fontsize=10, weight="bold")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()
