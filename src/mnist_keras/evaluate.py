"""python -m mnist_keras.evaluate MODEL.keras: test accuracy, confusion matrix, misclassified digits."""
import sys
import zipfile
from pathlib import Path

from labkit import untrusted
from labkit.cli import Parser, UsageError, command
from mnist_keras import device

# A saved model of this project unpacks to under 1 MB; a config that unpacks to a gigabyte is a bomb.
MAX_MODEL_UNPACKED_BYTES = 64 * 2**20


def parse_args(argv):
    p = Parser(prog="python -m mnist_keras.evaluate", description=__doc__.split(": ", 1)[1])
    p.add_argument("model", type=Path, help="a .keras file, e.g. runs/standard-seed1/best.keras")
    p.add_argument("--data", type=Path, help="an .npz with MNIST (default: the data chain, as in training)")
    p.add_argument("--out", type=Path, help="folder for confusion.png and misclassified.png (default: the model's)")
    return p.parse_args(argv)


def evaluate(model_path, data_path, out_dir):
    import keras

    from mnist_keras import data, portable  # portable's model module registers older runs' BatchNormalization
    from mnist_keras.reports import plots  # portable's model module registers older runs' BatchNormalization

    if not model_path.is_file():
        raise UsageError(f"{model_path}: no such file")
    if zipfile.is_zipfile(model_path):  # a .keras file: its config and weights, within limits
        with zipfile.ZipFile(model_path) as archive:
            untrusted.within_limits(model_path, archive, MAX_MODEL_UNPACKED_BYTES, max_members=100)
    try:
        model = keras.saving.load_model(model_path)  # safe_mode: no code in the file is run
    except Exception as e:  # Keras raises many kinds for a file that is not a model
        raise UsageError(f"{model_path} is not a Keras model: {str(e).splitlines()[0]}")
    _, (x_test, y_test) = data.load(data_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    predictions = portable.predict(model, x_test)
    plots.plot_predictions(x_test, y_test, predictions, out_dir)
    return plots.confusion_matrix(y_test, predictions)


@command("mnist_keras.evaluate")
def main(argv=None):
    args = parse_args(argv)
    device.load_tensorflow()
    matrix = evaluate(args.model, args.data, args.out or args.model.parent)
    correct, total = matrix.trace(), matrix.sum()
    print(f"test accuracy: {correct / total:.2%} ({correct:,} of {total:,}; {total - correct} misclassified)")
    print("confusion matrix (rows: true digit, columns: predicted):")
    print("     " + "".join(f"{d:>6}" for d in range(10)))
    for digit, row in enumerate(matrix):
        print(f"{digit:>5}" + "".join(f"{n:>6}" for n in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
