//! CLI of `pathhound collect`, `pathhound ingest`.

use crate::Usage;

/// Arguments of `pathhound collect`.
#[derive(clap::Args)]
pub struct CollectArgs {}

/// Runs `pathhound collect`.
pub fn collect(_args: CollectArgs) -> anyhow::Result<Result<(), Usage>> {
    Ok(Err(Usage("pathhound collect: not implemented yet".into())))
}

/// Arguments of `pathhound ingest`.
#[derive(clap::Args)]
pub struct IngestArgs {}

/// Runs `pathhound ingest`.
pub fn ingest(_args: IngestArgs) -> anyhow::Result<Result<(), Usage>> {
    Ok(Err(Usage("pathhound ingest: not implemented yet".into())))
}
