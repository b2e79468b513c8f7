"""What the checks know of the project beyond one file: its layout, its files and the
project index (`index.py`) of every module's summary."""
