"""The corpus of bad extracts: each case builds one small extract at test time and says what
validation must make of it (see ``cases.py``)."""
