"""Who a run's outputs are for (OUTPUTS.md ``--audience``): the board gets disclosure
control, the internal audience unsuppressed figures. Its own module so that configuration and
the Dagster definitions can name the audiences without importing the disclosure code (pandas)."""

AUDIENCES = ("board", "internal")
DEFAULT_AUDIENCE = "board"
