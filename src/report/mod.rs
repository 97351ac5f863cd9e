//! Reports (Parquet/CSV, Athena layout) and delivery to S3 under a KMS key.
