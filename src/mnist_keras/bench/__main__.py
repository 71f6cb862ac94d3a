import sys

from mnist_keras.bench.cli import main

sys.exit(main())
