//! CLI of `pathhound report`, `pathhound export`.

use crate::Usage;

/// Arguments of `pathhound report`.
#[derive(clap::Args)]
pub struct ReportArgs {}

/// Runs `pathhound report`.
pub fn report(_args: ReportArgs) -> anyhow::Result<Result<(), Usage>> {
    Ok(Err(Usage("pathhound report: not implemented yet".into())))
}

/// Arguments of `pathhound export`.
#[derive(clap::Args)]
pub struct ExportArgs {}

/// Runs `pathhound export`.
pub fn export(_args: ExportArgs) -> anyhow::Result<Result<(), Usage>> {
    Ok(Err(Usage("pathhound export: not implemented yet".into())))
}
