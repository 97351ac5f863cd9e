//! CLI of `pathhound serve`.

use crate::Usage;

/// Arguments of `pathhound serve`.
#[derive(clap::Args)]
pub struct ServeArgs {}

/// Runs `pathhound serve`.
pub fn serve(_args: ServeArgs) -> anyhow::Result<Result<(), Usage>> {
    Ok(Err(Usage("pathhound serve: not implemented yet".into())))
}
