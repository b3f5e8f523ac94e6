"""The portal's domain: everything but the screens. Nothing here imports Streamlit."""
