"""The portal without Streamlit: one package per capability (see the README's Layout), each
owning its tables' use cases. `python -m core` is the command line."""
