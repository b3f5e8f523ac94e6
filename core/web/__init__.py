"""The HTTP side of the server beside Streamlit: the cookie and download routes (`http`) and
what the server does once when it starts, before the first request (`startup`)."""
