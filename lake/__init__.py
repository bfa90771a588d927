"""lakeforge: a local-first data lake + ML stack on Spark, Delta Lake and the AWS APIs."""

__version__ = "0.1.0"
__all__ = ["__version__"]
