"""The portal's domain: everything but the screens, in one package per capability (see the
README's Layout), each owning its tables' use cases. Nothing here imports Streamlit.
`python -m core` is the command line."""

import os

# Arrow's buffers here are large and short-lived (a record batch at a time). With the system
# allocator a process hands them back; with Arrow's default (mimalloc) it keeps about 12 MB
# more: an Excel export of 100,000 rows peaked at 126 MB against 138 MB, its SQLite reader
# process at 66 MB against 70 MB (`python -m bench --only xlsx`). Set before pyarrow is first
# imported (Arrow reads it then) and inherited by the reader process; a value set outside wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
