"""Identity resolution measured on data the project did not make (see febrl.py)."""
