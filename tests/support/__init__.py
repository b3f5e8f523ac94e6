"""What the tests share: the data they make (factories), the way they open screens (pages)."""
