"""Matplotlib PNGs of the E_total curves, for the README and for readers without a spreadsheet."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from labkit.files import save_figure  # noqa: E402


def _axes(title):
    fig, ax = plt.subplots(figsize=(7, 4))
    # E_total falls over many orders of magnitude: on a linear axis every fast curve lies on zero.
    ax.set(title=title, xlabel="iteration", ylabel="E_total (log scale)", yscale="log")
    ax.grid(alpha=0.3, which="both")
    return fig, ax


def save_plots(curves, stem):
    """curves: {learning rate: E_total per iteration}. Writes STEM_lr<lr>.png for each
    learning rate and STEM_all.png overlaying them; returns the paths written."""
    paths = []
    for learning_rate, e_total in curves.items():
        fig, ax = _axes(f"E_total, learning rate {learning_rate:g}")
        ax.plot(e_total)
        path = stem.with_name(f"{stem.name}_lr{learning_rate:.15g}.png")
        save_figure(fig, path)
        paths.append(path)
    fig, ax = _axes("E_total for every learning rate")
    for learning_rate, e_total in curves.items():
        ax.plot(e_total, label=f"lr {learning_rate:g}")
    ax.legend()
    overlay = stem.with_name(f"{stem.name}_all.png")
    save_figure(fig, overlay)
    return paths + [overlay]
