import sys

from bp_excel.cli import main

if __name__ == "__main__":
    sys.exit(main())
