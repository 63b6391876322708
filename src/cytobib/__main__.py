"""`python -m cytobib` runs the CLI."""

from cytobib.cli import main

main()
