"""Streaming: the Kinesis-API simulator, the Kinesis source for Spark and the ingest job."""
