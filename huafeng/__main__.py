"""``python -m huafeng`` is the same program as the ``huafeng`` console script."""

from huafeng.cli import main

if __name__ == "__main__":
    main()
