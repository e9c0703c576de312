"""Reading uploaded tables (.xlsx and .csv) row by row, shared by the import features.

`open_table()` checks the whole file up front — size, type, structure, header row, at least one data row — and
raises `TableError` with a Chinese message the user can act on. Iterating the returned `Table` yields, per
non-empty data row, the row number a spreadsheet user sees (the header is usually row 1) and a dict mapping every
`Column.key` to the cell's stripped text ('' when empty or when an optional column is absent). A Table can be
iterated more than once, each pass re-reading from the start (one pass at a time when opened on a file object).

Memory:

* .csv is decoded and parsed 1 MiB at a time; nothing is kept per row.
* .xlsx is read with python-calamine. Its `iter_rows()` turns rows into Python objects lazily, but calamine
  materialises the whole sheet in native memory when the sheet is opened: a dense rectangle of 32-byte cells from
  the first to the last used row and column, plus a copy of every shared string per cell that uses it: about 1 KB
  per row of 16 columns, so some 100 MB per 100,000 rows. So before calamine sees a file, the sheet XML is streamed
  once through zlib and C-speed byte searches (about 0.5 s per 100,000 such rows, a third to half of calamine's time)
  to refuse formulas and to bound what calamine would allocate (see the MAX_* limits). Without that bound a 5 KB
  file with values in A1 and XFD1048576 makes calamine attempt a multi-terabyte allocation and abort the process.

Errors found only while iterating (a .csv whose encoding breaks half-way, a malformed line) are raised as
`TableError` from the iteration, naming the row.

Modules: `table` (the table model, header matching and the file's limits of size), `source` (the uploaded
bytes), `reading` (`open_table`, choosing the format), `csvfile` and `xlsxfile` (one reader per format),
`xlsxguard` (the checks of a crafted .xlsx before calamine sees it), `template` (writing import templates).
"""

from .reading import open_table
from .table import Column, Numeric, Refused, Table, TableError, normalise_header
from .template import write_template

__all__ = ["Column", "Numeric", "Refused", "Table", "TableError", "normalise_header", "open_table", "write_template"]
