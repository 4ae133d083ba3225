"""Report rendering: the board report, the analyst workbook, partner and validation reports."""
