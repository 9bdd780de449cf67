"""``python -m ptdata`` runs the ``ptdata`` command."""

from ptdata.cli import main

if __name__ == "__main__":
    main()
