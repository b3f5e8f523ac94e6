"""The portal's domain: everything but the screens, in one package per capability (see the
README's Layout), each owning its tables' use cases. Nothing here imports Streamlit.
`python -m core` is the command line."""
