"""The PNGs a run leaves: its accuracy and loss curves, and the best model's confusion matrix and
misclassified digits."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from labkit.files import save_figure  # noqa: E402
from mnist_keras.config import TARGET_ACCURACY  # noqa: E402

DPI = 90


def confusion_matrix(labels, predictions, classes=10):
    matrix = np.zeros((classes, classes), int)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def plot_curves(epochs, path):
    n = [e["epoch"] for e in epochs]
    fig, (acc, loss) = plt.subplots(1, 2, figsize=(11, 4), layout="tight")
    acc.plot(n, [e["accuracy"] for e in epochs], label="training (augmented)")
    acc.plot(n, [e["val_accuracy"] for e in epochs], label="validation (test set)")
    acc.axhline(TARGET_ACCURACY, color="grey", lw=0.8, ls="--")
    acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0.97, 1.0), title="accuracy")
    loss.plot(n, [e["loss"] for e in epochs], label="training (augmented)")
    loss.plot(n, [e["val_loss"] for e in epochs], label="validation (test set)")
    loss.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="loss")
    for ax in (acc, loss):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    save_figure(fig, path, DPI)


def plot_predictions(images, labels, predictions, out_dir):
    """confusion.png and misclassified.png of a model's predicted digits, in out_dir."""
    plot_confusion(confusion_matrix(labels, predictions), out_dir / "confusion.png")
    plot_misclassified(images, labels, predictions, out_dir / "misclassified.png")


def plot_confusion(matrix, path):
    fig, ax = plt.subplots(figsize=(6, 5.5), layout="tight")
    ax.imshow(np.log1p(matrix), cmap="Blues")
    for (true, predicted), count in np.ndenumerate(matrix):
        if count:
            ax.text(predicted, true, count, ha="center", va="center", fontsize=7,
                    color="white" if true == predicted else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
           title=f"confusion matrix ({matrix.trace() / matrix.sum():.2%} correct)")
    save_figure(fig, path, DPI)


def plot_misclassified(images, labels, predictions, path, limit=48):
    wrong = np.flatnonzero(labels != predictions)[:limit]
    columns = 12
    rows = max(1, -(-len(wrong) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns, rows * 1.2), squeeze=False, layout="tight")
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong):
        ax.imshow(images[i], cmap="gray_r")
        ax.set_title(f"{labels[i]}→{predictions[i]}", fontsize=8)
    fig.suptitle(f"{int((labels != predictions).sum())} misclassified test digits (true→predicted)")
    save_figure(fig, path, DPI)
