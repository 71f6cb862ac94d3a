import sys

from mnist_keras.sweep.cli import main

sys.exit(main())
