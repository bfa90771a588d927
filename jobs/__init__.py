"""spark-submit entry points (scripts); a package only so the layering contract can see them."""
