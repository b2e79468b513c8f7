"""What the checks know of the project beyond one file: layout and (later) the index."""
