import sys

from mnist_keras.design.cli import main

sys.exit(main())
